#include "planning/run_publisher.hpp"

#include <spdlog/spdlog.h>

#include <thread>

#include "domain/task_message.hpp"
#include "ports/errors.hpp"

namespace dcp::planning {

void RunPublisher::Publish(const RunId& run, const TaskBatches& tasks) {
  std::vector<std::string> bodies;
  tasks.ForEachBatch(settings_.batch, [&](std::span<const PlannedTask> batch) {
    bodies.clear();
    for (const PlannedTask& t : batch) {
      bodies.push_back(EncodeTaskMessage(TaskMessage{run, t.id, t.selection, t.start, t.end}));
    }
    PublishBatch(bodies);
    store_.MarkPublished(run, batch.back().seq);
    if (settings_.after_batch) settings_.after_batch(++batches_);
  });
}

void RunPublisher::PublishBatch(std::span<const std::string> bodies) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + settings_.give_up_after;
  auto delay = settings_.first_retry_delay;
  for (;;) {
    try {
      publisher_.PublishConfirmed(bodies);
      return;
    } catch (const std::exception& e) {
      if (!dynamic_cast<const AmqpError*>(&e) && !dynamic_cast<const UnavailableError*>(&e)) throw;
      if (Clock::now() + delay > deadline) throw;
      spdlog::warn("publishing failed ({}); again in {} ms", e.what(), delay.count());
      std::this_thread::sleep_for(delay);  // backoff while the broker is away
      delay = std::min(delay * 2, settings_.max_retry_delay);
    }
  }
}

std::int64_t RunPublisher::Resume(const RunId& run) {
  const auto tasks = store_.UnpublishedTasks(run);
  Publish(run, TaskSpan(tasks));
  store_.MarkRunning(run);
  return static_cast<std::int64_t>(tasks.size());
}

}  // namespace dcp::planning
