#pragma once
// The work done for one task. Implementations: grid::ReferenceComputation
// (the embedded default) and worker::ExecComputation (a team's own program).
#include <string>
#include <string_view>

#include "domain/result.hpp"
#include "domain/task_message.hpp"
#include "ports/run_context.hpp"

namespace dcp {

class Computation {
 public:
  virtual ~Computation() = default;
  // Stored with each result; `dcp export` uses it to pick the CSV header.
  virtual std::string_view name() const = 0;
  // The result body of the task (CSV rows for the reference computation).
  // An Error is a failure of this task (retried, then FAILED). Must be
  // deterministic for the same inputs, and thread-safe: called concurrently
  // from the worker's pool.
  virtual Result<std::string> Compute(const TaskMessage& task, const RunContext& run) = 0;
};

}  // namespace dcp
