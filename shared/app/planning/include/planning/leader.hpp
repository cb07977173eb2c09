#pragma once
// One run per trigger: lock, record, publish with confirms.
//
// Guarantees: two leaders never run at once (the database run lock); a run
// is not started while the previous one is still active (unless
// allow_overlap); every task is recorded QUEUED before its message is
// published; the published watermark only moves past confirmed messages, so
// a leader killed mid-publish leaves a run that the next leader (or Resume)
// completes by publishing exactly the unconfirmed tasks.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "domain/local_time.hpp"
#include "planning/run_publisher.hpp"
#include "planning/run_request.hpp"
#include "ports/run_planning_store.hpp"
#include "ports/task_publisher.hpp"
#include "ports/workload.hpp"

namespace dcp::planning {

struct LeaderSettings {
  TimeZone time_zone;
  Workload workload;           // the run's topology and the selections it plans
  bool allow_overlap = false;  // start even if the previous run is still active
  PublishSettings publishing;
};

struct RunOutcome {
  enum class Status { kPublished, kLocked, kPreviousRunActive };
  Status status = Status::kPublished;
  std::optional<RunId> run;  // kPublished: the new run; kPreviousRunActive: the active one
  std::int64_t tasks = 0;
  std::int64_t resumed = 0;  // tasks of earlier, half-published runs published first
};

class Leader {
 public:
  // `publisher` may be null for local runs only (see RunLocal).
  Leader(RunPlanningStore& store, TaskPublisher* publisher, LeaderSettings settings);

  // Plans and publishes a run. Errors in the request come back as Error;
  // infrastructure failures throw (DbError, AmqpError, UnavailableError).
  Result<RunOutcome> Run(const RunRequest& request);

  // Publishes the QUEUED tasks of `run` that were recorded but never
  // confirmed, and marks the run RUNNING. Returns how many were published.
  std::int64_t Resume(const RunId& run);

  // Creates a run and records it as fully published, without a broker: for
  // --local, where the caller then processes the tasks itself.
  Result<std::pair<RunId, TaskPlan>> CreateLocalRun(const RunRequest& request);

 private:
  RunPlanningStore& store_;
  TaskPublisher* publisher_;
  LeaderSettings settings_;
};

}  // namespace dcp::planning
