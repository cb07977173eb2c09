#pragma once
// Publishes with publisher confirms over its own connection.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "amqp/connection.hpp"
#include "amqp/message.hpp"
#include "amqp/queue_topology.hpp"
#include "ports/task_publisher.hpp"

namespace dcp::amqp {

struct PublisherOptions {
  ConnectionOptions connection;
  QueueOptions queue;
  // Declare the task and dead-letter queues on connect, so publishing works
  // before any worker has started.
  bool declare_queues = true;
  // Longest wait for the next confirm before giving up on the batch.
  std::chrono::milliseconds confirm_timeout{std::chrono::seconds(30)};
  // Unconfirmed publishes allowed in flight: bounds memory and keeps both
  // sides reading (a window, not a wait per message).
  std::size_t max_in_flight = 5000;
};

// Persistent messages (delivery_mode 2, application/json), mandatory, through
// the default exchange. A call returns once the broker has confirmed every
// message, i.e. they are on disk in the queue. On failure it throws
// AmqpError (nack, unroutable because the queue is missing, closed channel
// or connection, confirm timeout) and drops the connection; the next call
// reconnects (UnavailableError if it cannot). Not thread-safe.
class ConfirmPublisher final : public TaskPublisher {
 public:
  // Connects at once, so a wrong URL or password fails at startup.
  explicit ConfirmPublisher(PublisherOptions options);
  ~ConfirmPublisher() override;

  // To the task queue (options.queue.name).
  void PublishConfirmed(std::span<const std::string> bodies) override;

  // One message with string headers to any queue, e.g. a dead letter with its
  // reason to `<name>.dead`.
  void PublishConfirmed(std::string_view queue, std::string_view body, const Headers& headers);

 private:
  Connection& Connected();
  // After a failure: the next connection starts at the next node.
  void Drop();

  PublisherOptions options_;
  std::unique_ptr<Connection> connection_;
  std::size_t next_node_ = 0;
  std::uint64_t published_ = 0;  // publishes on this connection = last delivery tag
};

}  // namespace dcp::amqp
