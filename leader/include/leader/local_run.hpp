#pragma once
// --local: the whole workload in one process, as the old monolith did, with
// no broker and no workers. The run is recorded like any other (so `dcp
// status` and `dcp export` work on it) and every task goes through the same
// TaskProcessor as in a worker: its output is the reference for the
// distributed run, and its time the baseline.
#include "planning/leader.hpp"
#include "ports/computation.hpp"
#include "ports/task_store.hpp"

namespace dcp::leader {

struct LocalRunOutcome {
  planning::RunOutcome::Status status = planning::RunOutcome::Status::kPublished;
  std::optional<RunId> run;
  std::int64_t finished = 0;
  std::int64_t failed = 0;
  std::string failure;  // kStepFailed: which step, and why
};

Result<LocalRunOutcome> RunLocal(planning::Leader& leader, RunPlanningStore& runs, TaskStore& tasks,
                                 Computation& computation, const planning::RunRequest& request,
                                 const RunContext& fallback_context, int max_attempts = 5);

}  // namespace dcp::leader
