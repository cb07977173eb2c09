#pragma once
// The settlement of decided outcomes: what an Outcome means for its
// delivery (ack, retry, dead-letter) and for the worker's counters. It
// decides nothing: TaskProcessor has (see processing/outcome.hpp).
//   Acked       -> Ack                     finished / skipped
//   Retry       -> Retry(delay, reason)    retried
//   DeadLetter  -> DeadLetter(reason)      failed
// A Finish (not recorded: a bug) is dead-lettered as failed.
// The failpoint worker.crash-before-ack kills the process after a task's
// FINISHED is committed and before its ack is sent.
//
// Loop thread only (the broker calls are the Consumer's).
#include <chrono>
#include <string_view>

#include "amqp/message.hpp"
#include "processing/outcome.hpp"
#include "worker/worker_metrics.hpp"

namespace dcp::amqp {
class Consumer;
}

namespace dcp::worker {

// The broker's side of settling a delivery: the Consumer's settle calls.
class DeliverySettler {
 public:
  virtual ~DeliverySettler() = default;
  virtual void Ack(amqp::DeliveryRef ref) = 0;
  virtual void Retry(amqp::DeliveryRef ref, std::string_view body, std::chrono::milliseconds delay,
                     std::string_view reason) = 0;
  virtual void DeadLetter(amqp::DeliveryRef ref, std::string_view body,
                          std::string_view reason) = 0;
};

// DeliverySettler on an amqp::Consumer (which must outlive it).
class ConsumerSettler final : public DeliverySettler {
 public:
  explicit ConsumerSettler(amqp::Consumer& consumer) : consumer_(consumer) {}
  void Ack(amqp::DeliveryRef ref) override;
  void Retry(amqp::DeliveryRef ref, std::string_view body, std::chrono::milliseconds delay,
             std::string_view reason) override;
  void DeadLetter(amqp::DeliveryRef ref, std::string_view body, std::string_view reason) override;

 private:
  amqp::Consumer& consumer_;
};

class Settler {
 public:
  // Both must outlive the Settler.
  // Reads the failpoint once: armed before any Settler exists (config).
  Settler(DeliverySettler& deliveries, WorkerMetrics& metrics);

  void Settle(amqp::DeliveryRef ref, std::string_view body, const processing::Outcome& outcome);

 private:
  DeliverySettler& deliveries_;
  WorkerMetrics& metrics_;
  bool crash_before_ack_;  // the failpoint worker.crash-before-ack is armed
};

}  // namespace dcp::worker
