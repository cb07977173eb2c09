#pragma once
// The work done for one task. Implementations: grid::ReferenceComputation
// (the embedded default), compute::ExecComputation (a team's own program,
// a process per task), compute::PersistentComputation (one kept between
// tasks) and the synthetic ones (compute/computations.hpp makes one by
// name).
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

  // Before the worker consumes, on a thread of its own (it may take the
  // start-up timeouts of its tries): start what the computation keeps
  // between tasks, for `threads` pool threads (a persistent program each).
  // Error: it could not; the worker then exits without taking a task
  // (kExitProgramNotReady). Default: nothing to start.
  virtual Result<bool> Prepare(int /*threads*/) { return true; }

  enum class Health {
    kReady,    // computes
    kFailing,  // its program failed to start and is being tried again
    kBroken,   // it gave up starting its program: every Compute fails now
  };
  // Thread-safe and cheap (readiness probes ask it).
  virtual Health health() const { return Health::kReady; }
};

}  // namespace dcp
