#include "leader/local_run.hpp"

#include <spdlog/spdlog.h>

#include "planning/run_lock.hpp"
#include "processing/task_processor.hpp"

namespace dcp::leader {

Result<LocalRunOutcome> RunLocal(planning::Leader& leader, RunPlanningStore& runs, TaskStore& tasks,
                                 Computation& computation, const planning::RunRequest& request,
                                 const RunContext& fallback_context, int max_attempts) {
  planning::RunLock lock(runs, leader.job_name());
  if (!lock.held())
    return LocalRunOutcome{planning::RunOutcome::Status::kLocked, std::nullopt, 0, 0, {}};
  planning::TaskPlan planned;
  auto created = leader.CreateLocalRun(request, planned);
  if (!created) return Error{created.reason()};
  if (created->status != planning::RunOutcome::Status::kPublished) {
    return LocalRunOutcome{created->status, std::nullopt, 0, 0, created->failure};
  }
  const RunId run = *created->run;
  spdlog::info("run {}: {} tasks, computing locally", run.ToString(), planned.size());

  runtime::Stopper stopper;
  runtime::DbRetry retry(stopper, runtime::RetrySettings{});
  processing::RunContextCache contexts(fallback_context);
  processing::ProcessorSettings settings;
  settings.worker_id = "local";
  settings.max_attempts = max_attempts;
  processing::TaskProcessor processor(tasks, computation, contexts, retry, settings);
  LocalRunOutcome outcome{planning::RunOutcome::Status::kPublished, run, 0, 0, {}};
  for (std::size_t i = 0; i < planned.size(); ++i) {
    const PlannedTask t = planned.At(i);
    const std::string body =
        EncodeTaskMessage(TaskMessage{run, t.id, t.selection, t.start, t.end, t.params});
    auto result = processor.Process(body);
    // No broker to delay a retry: try again at once, within the same limit.
    while (result.Is<processing::Retry>()) result = processor.Process(body);
    if (const auto* dead = result.As<processing::DeadLetter>()) {
      ++outcome.failed;
      spdlog::warn("task {}: {}", t.id.ToString(), dead->reason);
    } else {
      ++outcome.finished;  // Acked: Process records a Finish itself
    }
  }
  return outcome;
}

}  // namespace dcp::leader
