#pragma once
// Puts a team's existing program behind dcp unchanged: per task, runs
// `/bin/sh -c COMMAND` with the task message (JSON, v1) on stdin; its stdout
// is the result; a non-zero exit, a signal or the time limit is a failure
// whose text ends with the tail of its stderr; more stdout than
// max_output_bytes is a permanent failure (the child is killed as soon as it
// writes past it: memory stays bounded). The command gets only the
// environment of ExecEnvironment and its three standard descriptors (the
// worker's connections are not inherited), SIGPIPE and every other signal at
// its default, nothing blocked. Each child runs in a process group
// of its own, and a kill (timeout, too much output, Abandon) ends the whole
// group: a shell's children die with it. The process is a child subreaper
// (PR_SET_CHILD_SUBREAPER): what a command leaves running when it ends, also
// after setsid, is killed and reaped then (EndStrays). Thread-safe: each call
// runs its own child process.
#include <sys/types.h>

#include <chrono>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ports/computation.hpp"
#include "runtime/mutex.hpp"

namespace dcp::worker {

// The variables of the worker's environment that every command gets, if set.
inline const std::vector<std::string> kExecBaseEnvironment = {
    "PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR"};

struct ExecSettings {
  std::string command;
  std::chrono::seconds timeout{3600};       // the child is killed after this
  std::size_t max_output_bytes = 4u << 20;  // more stdout than this fails (DCP_MAX_RESULT_BYTES)
  // More variables passed through from the worker's environment
  // (--exec-env): never one of dcp's own (DCP_*), which hold its secrets.
  std::vector<std::string> pass_env{};
  // The command's address space (RLIMIT_AS, for it and its children), in
  // bytes; 0: no limit (--exec-memory). Past it, allocations fail.
  std::size_t memory_limit = 0;
};

// The command's environment, built per task: the task's own variables
// (DCP_RUN_ID, DCP_TASK_ID, DCP_SELECTION, DCP_START_DATE, DCP_END_DATE,
// DCP_TZ: the run's zone), then kExecBaseEnvironment and `pass_env` as
// found in `environment` (NAME=value entries). Nothing else: the worker's
// DCP_MYSQL_URL and DCP_AMQP_URL hold passwords.
std::vector<std::string> ExecEnvironment(const TaskMessage& task, const RunContext& run,
                                         const std::vector<std::string>& pass_env,
                                         const char* const* environment);

// Constructing one sets SIGPIPE to ignored for the whole process: a command
// that exits without reading its stdin must fail its task, not kill the
// worker with the signal. Nothing else in the process may reap children
// (libev's default loop does, on SIGCHLD: use a loop from ev_loop_new).
class ExecComputation final : public Computation {
 public:
  explicit ExecComputation(ExecSettings settings);
  std::string_view name() const override { return "exec"; }
  Result<std::string> Compute(const TaskMessage& task, const RunContext& run) override;
  // Kills every running child's process group, and the strays.
  void Abandon() override;

 private:
  // Kills and reaps every child of this process that is not a running
  // command: descendants orphaned to it (the subreaper) when their parent
  // exited, whichever task they came from. So a command that forks and
  // leaves, even with setsid, leaves nothing running once it ends, and no
  // zombie either (also when the worker is PID 1 in a container).
  void EndStrays() DCP_REQUIRES(mutex_);

  ExecSettings settings_;
  runtime::Mutex mutex_;
  std::set<pid_t> running_ DCP_GUARDED_BY(mutex_);  // process groups of the live children
};

}  // namespace dcp::worker
