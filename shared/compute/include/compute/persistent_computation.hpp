#pragma once
// A team's program kept alive between tasks (compute.mode: persistent): one
// process per pool thread, each asked for one task at a time in
// newline-delimited JSON on its descriptor 3 and answering on its
// descriptor 4. The protocol (version 1) is docs/protocol.md:
//   start:    the program writes {"ready": true} within startup_timeout;
//   request:  {"protocol": 1, "task": <the task message>, "attempt": N,
//              "topology_file": PATH, "tz": ZONE, "job": NAME}
//   response: {"task_id": ID, "result": STRING}
//          or {"task_id": ID, "error": STRING, "retryable": BOOL}.
// Unknown fields are ignored both ways. A crash, a line that is not such a
// response, a response for another task, a line over the limit or the task
// timeout fails the task in flight as retryable, kills the process (its
// whole group and what it left) and a fresh one is started for the next
// task; so is a process that answers twice (the next task is then asked
// of the fresh one) or that is due for recycling (ExecSettings::persistent). The box is the
// oneshot one (process/command_runner.hpp): the environment of
// ExecEnvironment without the per-task variables (they are in the
// request), plus DCP_PROTOCOL and DCP_WORK_DIR (a scratch directory per
// process, removed with it).
// Thread-safe: a thread takes an idle process for each task (so there are
// as many as threads computing at once).
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "compute/exec_computation.hpp"
#include "compute/topology_files.hpp"
#include "ports/computation.hpp"
#include "process/command_runner.hpp"
#include "runtime/mutex.hpp"

namespace dcp::compute {

inline constexpr int kProtocolVersion = 1;

class PersistentComputation final : public Computation {
 public:
  // Precondition: settings.persistent.enabled, and a command.
  explicit PersistentComputation(ExecSettings settings);
  ~PersistentComputation() override;

  std::string_view name() const override { return "exec"; }
  Result<bool> Prepare(int threads) override;
  Result<std::string> Compute(const TaskMessage& task, const RunContext& run, int attempt) override;
  Health health() const override;
  // Kills every process of this computation and ends start-up waits: the
  // calls in progress return an error at once, and so do later ones.
  void Abandon() override;

  // The longest a response line may be: twice the result limit (JSON
  // escapes) and 64 KiB for the rest.
  std::size_t max_line() const { return 2 * settings_.max_output_bytes + (64u << 10); }

 private:
  struct Slot;
  std::unique_ptr<Slot> Take();
  void Give(std::unique_ptr<Slot> slot);
  // A fresh process in `slot`, ready, within startup_tries. Error: every
  // try failed (health() is then kBroken), or Abandon.
  Result<bool> Start(Slot& slot);
  Result<bool> StartOnce(Slot& slot);
  // The task's answer from the slot's process (started if need be).
  // asked_again: the first process answered its last task twice.
  Result<std::string> Ask(Slot& slot, const TaskMessage& task, const RunContext& run, int attempt,
                          bool asked_again = false);
  // Ends the slot's process: `grace` to exit by itself on EOF, else killed.
  process::CommandOutcome End(Slot& slot, std::chrono::milliseconds grace);
  // Waits `delay` unless Abandon comes first (false then).
  bool Pause(std::chrono::milliseconds delay);

  ExecSettings settings_;
  TopologyFiles topology_files_;
  mutable runtime::Mutex mutex_;
  runtime::CondVar abandoned_cv_;
  std::vector<std::unique_ptr<Slot>> idle_ DCP_GUARDED_BY(mutex_);
  std::vector<pid_t> live_ DCP_GUARDED_BY(mutex_);  // every running process
  int failing_ DCP_GUARDED_BY(mutex_) = 0;          // slots whose last start failed
  bool broken_ DCP_GUARDED_BY(mutex_) = false;      // a slot gave up starting
  std::string broken_reason_ DCP_GUARDED_BY(mutex_);
  bool abandoned_ DCP_GUARDED_BY(mutex_) = false;
  long long started_ DCP_GUARDED_BY(mutex_) = 0;  // processes started: names their directories
  std::mt19937_64 random_ DCP_GUARDED_BY(mutex_);
};

}  // namespace dcp::compute
