#pragma once
// Events for other systems (run.completed) on a durable topic exchange,
// published with confirms over a connection of its own.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "amqp/connection.hpp"
#include "ports/notifications.hpp"

namespace dcp::amqp {

struct EventPublisherOptions {
  ConnectionOptions connection;
  // Declared durable, type topic, on connect. Subscribers bind their own
  // queues to it ("run.*"); an event nobody has bound is dropped by design.
  std::string exchange = "dcp.events";
  std::chrono::milliseconds confirm_timeout{std::chrono::seconds(30)};
};

// Persistent messages (application/json). Publish throws AmqpError (nack,
// closed channel or connection, confirm timeout) and drops the connection;
// the next call reconnects (UnavailableError if it cannot). Connects lazily.
// Not thread-safe.
class AmqpEventPublisher final : public EventPublisher {
 public:
  explicit AmqpEventPublisher(EventPublisherOptions options);
  ~AmqpEventPublisher() override;

  void Publish(std::string_view routing_key, std::string_view json) override;

 private:
  Connection& Connected();
  void Drop();  // as ConfirmPublisher's

  EventPublisherOptions options_;
  std::unique_ptr<Connection> connection_;
  std::size_t next_node_ = 0;
  std::uint64_t published_ = 0;  // on this connection = the last delivery tag
};

// For subscribers (and tests): declares the exchange as the publisher does,
// a durable classic `queue`, and binds it with `binding_key` ("run.*").
void SubscribeQueue(Connection& connection, std::string_view exchange, std::string_view queue,
                    std::string_view binding_key);

}  // namespace dcp::amqp
