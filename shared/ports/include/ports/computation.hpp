#pragma once
// The work done for one task. Implementations: grid::ReferenceComputation
// (the embedded default), compute::ExecComputation (a team's own program)
// and the synthetic ones (compute/computations.hpp makes one by name).
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
  // from the worker's pool. `attempt` counts the task's deliveries, 1 for
  // the first (a program may log it, or clean up after an earlier one).
  virtual Result<std::string> Compute(const TaskMessage& task, const RunContext& run,
                                      int attempt) = 0;
  // From another thread, when the worker gives up waiting for its tasks (its
  // drain deadline): end what Compute runs now, at once (an exec child is
  // killed). Nothing it returned afterwards is recorded. Default: nothing to
  // end (an in-process computation ends with the process).
  virtual void Abandon() {}
};

}  // namespace dcp
