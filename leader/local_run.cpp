#include "leader/local_run.hpp"

#include <spdlog/spdlog.h>

#include "leader/run_lock.hpp"
#include "worker/task_processor.hpp"

namespace dcp::leader {

Result<LocalRunOutcome> RunLocal(Leader& leader, RunStore& runs, TaskStore& tasks,
                                 Computation& computation, const RunRequest& request,
                                 const RunContext& fallback_context) {
  RunLock lock(runs);
  if (!lock.held()) return LocalRunOutcome{RunOutcome::Status::kLocked, std::nullopt, 0, 0};
  auto created = leader.CreateLocalRun(request);
  if (!created) return Error{created.reason()};
  const auto& [run, planned] = created.value();
  spdlog::info("run {}: {} tasks, computing locally", run.ToString(), planned.size());

  worker::Stopper stopper;
  worker::DbRetry retry(stopper, worker::RetrySettings{});
  worker::RunContextCache contexts(fallback_context);
  worker::ProcessorSettings settings;
  settings.worker_id = "local";
  worker::TaskProcessor processor(tasks, computation, contexts, retry, settings);
  LocalRunOutcome outcome{RunOutcome::Status::kPublished, run, 0, 0};
  for (std::size_t i = 0; i < planned.size(); ++i) {
    const PlannedTask t = planned.At(i);
    const std::string body = EncodeTaskMessage(TaskMessage{run, t.id, t.selection, t.start, t.end});
    auto result = processor.Process(body);
    // No broker to delay a retry: try again at once, within the same limit.
    while (result.action == worker::Outcome::Action::kRetry) result = processor.Process(body);
    if (result.action == worker::Outcome::Action::kAck) {
      ++outcome.finished;
    } else {
      ++outcome.failed;
      spdlog::warn("task {}: {}", t.id.ToString(), result.reason);
    }
  }
  return outcome;
}

}  // namespace dcp::leader
