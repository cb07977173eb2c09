#pragma once
// One run per trigger: lock, record, publish with confirms.
//
// Guarantees: two leaders never run at once (the database run lock: a
// leader that loses it stops before its next write or batch, with
// LockLostError, and leaves the run to be resumed); a run
// is not started while the previous one is still active (unless
// allow_overlap); every task is recorded QUEUED before its message is
// published; the published watermark only moves past confirmed messages, so
// a leader killed mid-publish leaves a run that the next leader (or Resume)
// completes by publishing exactly the unconfirmed tasks.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "domain/local_time.hpp"
#include "job/job.hpp"
#include "planning/job_workload.hpp"
#include "planning/run_lock.hpp"
#include "planning/run_publisher.hpp"
#include "planning/run_request.hpp"
#include "ports/run_planning_store.hpp"
#include "ports/task_publisher.hpp"
#include "ports/workload.hpp"

namespace dcp::planning {

// Where a run's topology and selections come from: a job's topology and
// workload steps (job_workload.hpp), called once per run, under the run
// lock. An Error is a step that failed: the run is not started.
using WorkloadSource = std::function<Result<Workload>()>;

// A source that always gives `workload` (the reference workload, loaded
// once at start).
WorkloadSource FixedWorkload(Workload workload);

struct LeaderSettings {
  TimeZone time_zone;
  WorkloadSource workload;     // the run's topology and the selections it plans
  bool allow_overlap = false;  // start even if the previous run is still active
  PublishSettings publishing;
  std::size_t max_tasks = 2'000'000;  // a bigger plan is refused (DCP_MAX_TASKS_PER_RUN)
  // The job whose runs this leader plans: its run lock, its active run, and
  // what each run is pinned to (name, the file and its sha256).
  std::string job_name = "reference";
  std::string job_sha256{};
  std::string job_text{};
  bool job_exports = false;  // the job has an export command: each run's export is PENDING
};

// The settings of a job's runs, the same for whoever plans them (the
// leader, `dcp trigger`, the monitor): its topology and workload steps
// (BuildWorkload; `reference` gives the builtin ones), within `limits`; its
// name, file and version; whether it exports. The job is copied.
LeaderSettings JobLeaderSettings(const job::Job& job, const WorkloadLimits& limits,
                                 std::function<Result<Workload>()> reference,
                                 const TimeZone& time_zone);

struct RunOutcome {
  enum class Status { kPublished, kLocked, kPreviousRunActive, kStepFailed };
  Status status = Status::kPublished;
  std::optional<RunId> run;  // kPublished: the new run; kPreviousRunActive: the active one
  std::int64_t tasks = 0;
  std::int64_t resumed = 0;  // tasks of earlier, half-published runs published first
  std::string failure;       // kStepFailed: which step, and why
};

class Leader {
 public:
  // `publisher` may be null for local runs only (see RunLocal).
  Leader(RunPlanningStore& store, TaskPublisher* publisher, LeaderSettings settings);

  // Plans and publishes a run. Errors in the request come back as Error, a
  // failed topology or workload step as kStepFailed (the run recorded as
  // FAILED with the step's error, nothing published);
  // infrastructure failures throw (DbError, AmqpError, UnavailableError),
  // and a run lock lost on the way LockLostError.
  Result<RunOutcome> Run(const RunRequest& request);

  // Publishes the QUEUED tasks of `run` that were recorded but never
  // confirmed, and marks the run RUNNING. Returns how many were published.
  std::int64_t Resume(const RunId& run);

  const std::string& job_name() const { return settings_.job_name; }

  // Creates a run and records it as fully published, without a broker: for
  // --local, where the caller then processes the tasks itself: `tasks`.
  // kPublished with the run, or kStepFailed; errors in the request as Error.
  Result<RunOutcome> CreateLocalRun(const RunRequest& request, TaskPlan& tasks);

 private:
  // The run's record: its request, its context, its job; `tasks` null for a
  // run that failed before it was planned.
  NewRun NewRunOf(const RunId& run, const RunRequest& request, std::string topology,
                  const TaskPlan* tasks) const;
  // The job's steps for a new run; a failure is recorded as a FAILED run,
  // under `lock` if given (checked first).
  Result<Workload> Steps(const RunRequest& request, RunOutcome& outcome, const RunLock* lock);
  // Resume, checking `lock` (if given) before each batch.
  std::int64_t Resume(const RunId& run, const RunLock* lock);

  RunPlanningStore& store_;
  TaskPublisher* publisher_;
  LeaderSettings settings_;
};

}  // namespace dcp::planning
