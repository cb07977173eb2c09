#pragma once
// Puts a team's existing program behind dcp unchanged: per task, runs the
// command (an argv, or a string for `/bin/sh -c`) with the task message
// (JSON, v1) on stdin; its stdout is the result; a non-zero exit, a signal
// or the time limit is a failure whose text ends with the tail of its
// stderr; more stdout than max_output_bytes is a permanent failure (the
// command is killed as soon as it writes past it: memory stays bounded).
// The command runs in the box of process/command_runner.hpp, with the
// environment of ExecEnvironment. Thread-safe: each call runs its own child.
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "compute/topology_files.hpp"
#include "ports/computation.hpp"

namespace dcp::compute {

// compute.mode: persistent (docs/protocol.md): the program is started once
// per pool thread and kept between tasks, spoken to by lines on its
// descriptors 3 and 4 (compute/persistent_computation.hpp).
struct PersistentSettings {
  bool enabled = false;
  std::chrono::seconds startup_timeout{60};  // to write {"ready": true}
  // Starts in a row that fail (never ready, or exited) before the worker
  // gives up and exits (kExitProgramNotReady); a second apart, then two...
  int startup_tries = 3;
  // Recycling, so that a slow leak cannot grow for ever: a fresh process
  // after about this many tasks (each process its own count within
  // +-10 %, so that they do not all restart at once); 0: never.
  long long recycle_tasks = 0;
  // ... when its resident memory is above this after a task (bytes); 0: never.
  std::size_t recycle_memory = 0;
  // ... when a task of another run than its last comes (state per run).
  bool recycle_per_run = false;
};

struct ExecSettings {
  std::string command{};            // run by /bin/sh -c (--exec) ...
  std::vector<std::string> argv{};  // ... unless this is given (a job's argv list)
  std::string directory{};          // its working directory (a job's: the job file's); empty: ours
  std::chrono::seconds timeout{3600};       // the child is killed after this
  std::size_t max_output_bytes = 4u << 20;  // more stdout than this fails (DCP_MAX_RESULT_BYTES)
  // More variables passed through from the worker's environment
  // (--exec-env, a job's compute.env): never one of dcp's own (DCP_*),
  // which hold its secrets.
  std::vector<std::string> pass_env{};
  // The command's address space (RLIMIT_AS, for it and its children), in
  // bytes; 0: no limit (--exec-memory). Past it, allocations fail.
  std::size_t memory_limit = 0;
  // Where the run's topology file (runs/<run>/topology, read-only, written
  // once per run from the verified bytes) and each task's scratch directory
  // (tasks/<task>.<attempt>, removed after the task) live (DCP_WORK_DIR of
  // the worker). Empty: neither (the variables are not set).
  std::string work_dir{};
  PersistentSettings persistent{};
};

// The command's environment, built per task: the task's own variables
// (DCP_RUN_ID, DCP_TASK_ID, DCP_ATTEMPT, DCP_SELECTION, DCP_START_DATE,
// DCP_END_DATE, DCP_TZ: the run's zone, DCP_JOB, DCP_TOPOLOGY_FILE and
// DCP_WORK_DIR when known), then process::kBaseEnvironment and
// `pass_env` as found in `environment` (NAME=value entries). Nothing else:
// the worker's DCP_MYSQL_URL and DCP_AMQP_URL hold passwords.
// The files of one task: the run's topology, its scratch directory.
struct TaskFiles {
  std::string topology;  // DCP_TOPOLOGY_FILE
  std::string work_dir;  // DCP_WORK_DIR
};
std::vector<std::string> ExecEnvironment(const TaskMessage& task, const RunContext& run,
                                         int attempt, const std::vector<std::string>& pass_env,
                                         const char* const* environment,
                                         const TaskFiles& files = {});

class ExecComputation final : public Computation {
 public:
  explicit ExecComputation(ExecSettings settings);
  std::string_view name() const override { return "exec"; }
  Result<std::string> Compute(const TaskMessage& task, const RunContext& run, int attempt) override;
  // Kills every running command's process group, and the strays.
  void Abandon() override;

 private:
  ExecSettings settings_;
  std::vector<std::string> argv_;
  TopologyFiles topology_files_;
};

}  // namespace dcp::compute
