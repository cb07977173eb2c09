#pragma once
// Puts a team's existing program behind dcp unchanged: per task, runs
// `/bin/sh -c COMMAND` with the task message (JSON, v1) on stdin; its stdout
// is the result; a non-zero exit, a signal or the time limit is a failure
// whose text ends with the tail of its stderr. Thread-safe: each call runs
// its own child process.
#include <chrono>
#include <string>
#include <string_view>

#include "ports/computation.hpp"

namespace dcp::worker {

struct ExecSettings {
  std::string command;
  std::chrono::seconds timeout{3600};        // the child is killed after this
  std::size_t max_output_bytes = 64u << 20;  // more stdout than this is a failure
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

 private:
  ExecSettings settings_;
};

}  // namespace dcp::worker
