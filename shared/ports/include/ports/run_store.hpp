#pragma once
// The run side of the database as a whole: every narrow port that the
// clients take, for the code that wires them (the mains, the backend
// threads of the monitor and the completion service). A client takes the
// narrow port it uses, never RunStore:
//   RunPlanningStore  the leader's planning (lock, create, watermark)
//   RunOperations     the operator's commands (cancel, retry)
//   RunReadModel      what operators read (runs, tasks, workers)
//   RunResults        a run's tasks and results (the export)
//   CompletionClaims  reporting each run's completion once
//   ExportClaims      running each run's export step once
// Not thread-safe: one instance per thread. Throws DbError on failure.
#include "ports/completion_claims.hpp"
#include "ports/export_claims.hpp"
#include "ports/run_operations.hpp"
#include "ports/run_planning_store.hpp"
#include "ports/run_read_model.hpp"
#include "ports/run_results.hpp"

namespace dcp {

class RunStore : public RunPlanningStore,
                 public RunOperations,
                 public RunReadModel,
                 public RunResults,
                 public CompletionClaims,
                 public ExportClaims {
 public:
  using RunPlanningStore::CreateRun;
};

}  // namespace dcp
