#pragma once
// Puts a team's existing program behind dcp unchanged: per task, runs
// `/bin/sh -c COMMAND` with the task message (JSON, v1) on stdin; its stdout
// is the result; a non-zero exit, a signal or the time limit is a failure
// whose text ends with the tail of its stderr; more stdout than
// max_output_bytes is a permanent failure (the child is killed as soon as it
// writes past it: memory stays bounded). Each child runs in a process group
// of its own, and a kill (timeout, too much output, Abandon) ends the whole
// group: a shell's children die with it. Thread-safe: each call runs its own
// child process.
#include <sys/types.h>

#include <chrono>
#include <set>
#include <string>
#include <string_view>

#include "ports/computation.hpp"
#include "runtime/mutex.hpp"

namespace dcp::worker {

struct ExecSettings {
  std::string command;
  std::chrono::seconds timeout{3600};       // the child is killed after this
  std::size_t max_output_bytes = 4u << 20;  // more stdout than this fails (DCP_MAX_RESULT_BYTES)
};

// Constructing one sets SIGPIPE to ignored for the whole process: a command
// that exits without reading its stdin must fail its task, not kill the
// worker with the signal. Nothing else in the process may reap children
// (libev's default loop does, on SIGCHLD: use a loop from ev_loop_new).
class ExecComputation final : public Computation {
 public:
  explicit ExecComputation(ExecSettings settings);
  std::string_view name() const override { return "exec"; }
  Result<std::string> Compute(const TaskMessage& task, const RunContext& run) override;
  // Kills every running child's process group.
  void Abandon() override;

 private:
  ExecSettings settings_;
  runtime::Mutex mutex_;
  std::set<pid_t> running_ DCP_GUARDED_BY(mutex_);  // process groups of the live children
};

}  // namespace dcp::worker
