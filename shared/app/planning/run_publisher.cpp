#include "planning/run_publisher.hpp"

#include <spdlog/spdlog.h>

#include <csignal>
#include <string>
#include <thread>

#include "domain/task_message.hpp"
#include "ports/errors.hpp"
#include "runtime/failpoint.hpp"
#include "runtime/retry.hpp"

namespace dcp::planning {

void RunPublisher::Publish(const RunId& run, const TaskBatches& tasks) {
  std::vector<std::string> bodies;
  tasks.ForEachBatch(settings_.batch, [&](std::span<const PlannedTask> batch) {
    bodies.clear();
    for (const PlannedTask& t : batch) {
      bodies.push_back(
          EncodeTaskMessage(TaskMessage{run, t.id, t.selection, t.start, t.end, t.params}));
    }
    PublishBatch(bodies);
    store_.MarkPublished(run, batch.back().seq);
    ++batches_;
    CrashAfterBatches();
    PausePerBatch();
  });
}

void RunPublisher::CrashAfterBatches() const {
  const auto n = failpoint::Value("leader.crash-after-batches");
  if (n && batches_ >= std::stoll(std::string(*n))) std::raise(SIGKILL);
}

void RunPublisher::PausePerBatch() {
  if (const auto ms = failpoint::Value("leader.pause-per-batch-ms")) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::stoll(std::string(*ms))));
  }
}

void RunPublisher::PublishBatch(std::span<const std::string> bodies) {
  runtime::BackoffPolicy policy{settings_.first_retry_delay, settings_.max_retry_delay};
  policy.deadline = settings_.give_up_after;
  runtime::RetryOn<std::exception>(
      [&policy] { return runtime::Retry(policy); },  // sleeps: backoff while the broker is away
      [&] {
        if (lock_ != nullptr) lock_->Check();
        publisher_.PublishConfirmed(bodies);
      },
      [](const std::exception& e) {
        return dynamic_cast<const AmqpError*>(&e) != nullptr ||
               dynamic_cast<const UnavailableError*>(&e) != nullptr;
      },
      [](const std::exception& e, std::chrono::milliseconds delay) {
        spdlog::warn("publishing failed ({}); again in {} ms", e.what(), delay.count());
      });
}

std::int64_t RunPublisher::Resume(const RunId& run) {
  const auto tasks = store_.UnpublishedTasks(run);
  Publish(run, TaskSpan(tasks));
  store_.MarkRunning(run);
  return static_cast<std::int64_t>(tasks.size());
}

}  // namespace dcp::planning
