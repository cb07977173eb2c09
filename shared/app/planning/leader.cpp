#include "planning/leader.hpp"

#include <spdlog/spdlog.h>

#include "domain/task_message.hpp"
#include "planning/run_lock.hpp"
#include "planning/run_publisher.hpp"

namespace dcp::planning {
Leader::Leader(RunPlanningStore& store, TaskPublisher* publisher, LeaderSettings settings)
    : store_(store), publisher_(publisher), settings_(std::move(settings)) {}

WorkloadSource FixedWorkload(Workload workload) {
  return [workload = std::move(workload)] { return Result<Workload>(workload); };
}

LeaderSettings JobLeaderSettings(const job::Job& job, const WorkloadLimits& limits,
                                 std::function<Result<Workload>()> reference,
                                 const TimeZone& time_zone) {
  LeaderSettings settings{time_zone, {}, false, {}, limits.max_tasks};
  settings.workload = [job, limits, reference = std::move(reference)] {
    return BuildWorkload(job, limits, reference);
  };
  settings.job_name = job.name;
  settings.job_sha256 = job.sha256;
  settings.job_text = job.text;
  settings.job_exports = !job.export_step.command.empty();
  return settings;
}

NewRun Leader::NewRunOf(const RunId& run, const RunRequest& request, std::string topology,
                        const TaskPlan* tasks) const {
  RunContext context{settings_.time_zone.name(), std::move(topology)};
  context.job_name = settings_.job_name;
  context.job_sha256 = settings_.job_sha256;
  NewRun created{run, request.trigger, ParamsJson(request, settings_.time_zone), std::move(context),
                 settings_.job_text};
  if (tasks != nullptr) {
    created.selection_count = static_cast<std::int64_t>(tasks->selection_count());
    created.has_export = settings_.job_exports;
  }
  return created;
}

Result<Workload> Leader::Steps(const RunRequest& request, RunOutcome& outcome,
                               const RunLock* lock) {
  auto workload = settings_.workload();
  if (workload) return workload;
  if (lock != nullptr) lock->Check();
  outcome.status = RunOutcome::Status::kStepFailed;
  outcome.failure = workload.reason();
  outcome.run = RunId::New();
  store_.RecordFailedRun(NewRunOf(*outcome.run, request, {}, nullptr), outcome.failure);
  spdlog::error("run {}: FAILED before publishing: {}", outcome.run->ToString(), outcome.failure);
  return workload;
}

Result<RunOutcome> Leader::Run(const RunRequest& request) {
  RunLock lock(store_, settings_.job_name);
  if (!lock.held()) return RunOutcome{RunOutcome::Status::kLocked, std::nullopt, 0, 0, {}};

  RunOutcome outcome;
  for (const RunId& left : store_.RunsLeftPublishing(settings_.job_name)) {
    spdlog::warn("run {} was left half-published by an earlier leader: resuming it",
                 left.ToString());
    outcome.resumed += Resume(left, &lock);
  }
  if (!settings_.allow_overlap) {
    if (auto active = store_.ActiveRun(settings_.job_name)) {
      return RunOutcome{RunOutcome::Status::kPreviousRunActive, active, 0, outcome.resumed, {}};
    }
  }
  auto workload = Steps(request, outcome, &lock);
  if (!workload) return outcome;
  auto tasks = PlanTasks(request, *workload, settings_.time_zone, settings_.max_tasks);
  if (!tasks) return Error{tasks.reason()};

  const RunId run = RunId::New();
  lock.Check();  // the steps may have run for long: a run is recorded only under the lock
  store_.CreateRun(NewRunOf(run, request, std::move(workload->topology), &*tasks), *tasks);
  spdlog::info("run {}: {} tasks recorded, publishing", run.ToString(), tasks->size());
  RunPublisher(store_, *publisher_, settings_.publishing, &lock).Publish(run, *tasks);
  store_.MarkRunning(run);
  spdlog::info("run {}: {} tasks published and confirmed", run.ToString(), tasks->size());
  outcome.run = run;
  outcome.tasks = static_cast<std::int64_t>(tasks->size());
  return outcome;
}

std::int64_t Leader::Resume(const RunId& run) { return Resume(run, nullptr); }

std::int64_t Leader::Resume(const RunId& run, const RunLock* lock) {
  RunPublisher publisher(store_, *publisher_, settings_.publishing, lock);
  const auto published = publisher.Resume(run);
  spdlog::info("run {}: resumed, {} unconfirmed tasks published", run.ToString(), published);
  return published;
}

Result<RunOutcome> Leader::CreateLocalRun(const RunRequest& request, TaskPlan& tasks) {
  RunOutcome failed;
  auto workload = Steps(request, failed, nullptr);
  if (!workload) return failed;
  auto plan = PlanTasks(request, *workload, settings_.time_zone, settings_.max_tasks);
  if (!plan) return Error{plan.reason()};
  tasks = std::move(plan).value();
  const RunId run = RunId::New();
  store_.CreateRun(NewRunOf(run, request, std::move(workload->topology), &tasks), tasks);
  if (!tasks.empty()) store_.MarkPublished(run, static_cast<std::int64_t>(tasks.size()));
  store_.MarkRunning(run);
  RunOutcome created;
  created.run = run;
  created.tasks = static_cast<std::int64_t>(tasks.size());
  return created;
}

}  // namespace dcp::planning
