#include "worker/settler.hpp"

#include <spdlog/spdlog.h>

#include <string>

#include "amqp/consumer.hpp"
#include "runtime/failpoint.hpp"

namespace dcp::worker {

void ConsumerSettler::Ack(amqp::DeliveryRef ref) { consumer_.Ack(ref); }

void ConsumerSettler::Retry(amqp::DeliveryRef ref, std::string_view body,
                            std::chrono::milliseconds delay, std::string_view reason) {
  consumer_.Retry(ref, body, delay, reason);
}

void ConsumerSettler::DeadLetter(amqp::DeliveryRef ref, std::string_view body,
                                 std::string_view reason) {
  consumer_.DeadLetter(ref, body, reason);
}

Settler::Settler(DeliverySettler& deliveries, WorkerMetrics& metrics)
    : deliveries_(deliveries),
      metrics_(metrics),
      crash_before_ack_(failpoint::Value("worker.crash-before-ack").has_value()) {}

void Settler::Settle(amqp::DeliveryRef ref, std::string_view body,
                     const processing::Outcome& outcome) {
  // Formatted only for a log line: not on the path of a finished task.
  const auto task = [&outcome] {
    return outcome.task ? outcome.task->ToString() : std::string("?");
  };
  if (const auto* acked = outcome.As<processing::Acked>()) {
    if (acked->kind == processing::Acked::Kind::kFinished) {
      metrics_.finished.Increment();
      if (crash_before_ack_) failpoint::CrashIf("worker.crash-before-ack");
    } else {
      metrics_.skipped.Increment();
      spdlog::info("task {}: skipped: {}", task(),
                   acked->note.empty() ? std::string_view("already finished") : acked->note);
    }
    deliveries_.Ack(ref);
  } else if (const auto* retry = outcome.As<processing::Retry>()) {
    metrics_.retried.Increment();
    spdlog::warn("task {}: attempt {} failed, retrying in {} ms: {}", task(), outcome.attempt,
                 retry->delay.count(), retry->reason);
    deliveries_.Retry(ref, body, retry->delay, retry->reason);
  } else {
    const auto* dead = outcome.As<processing::DeadLetter>();
    const std::string_view reason =
        dead ? std::string_view(dead->reason) : "finished, not recorded";
    metrics_.failed.Increment();
    spdlog::warn("task {}: dead-lettered: {}", task(), reason);
    deliveries_.DeadLetter(ref, body, reason);
  }
}

}  // namespace dcp::worker
