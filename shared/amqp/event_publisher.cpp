#include "amqp/event_publisher.hpp"

#include <amqp.h>
#include <sys/time.h>

#include "message_properties.hpp"
#include "ports/errors.hpp"
#include "rpc_check.hpp"

namespace dcp::amqp {
namespace {

constexpr std::uint16_t kEventChannel = Connection::kMainChannel + 1;

amqp_bytes_t Bytes(std::string_view text) {
  amqp_bytes_t bytes;
  bytes.len = text.size();
  bytes.bytes = const_cast<char*>(text.data());  // rabbitmq-c only reads it
  return bytes;
}

timeval ToTimeval(std::chrono::steady_clock::duration left) {
  const auto micros = std::max<std::int64_t>(
      1, std::chrono::duration_cast<std::chrono::microseconds>(left).count());
  timeval tv{};
  tv.tv_sec = static_cast<decltype(tv.tv_sec)>(micros / 1'000'000);
  tv.tv_usec = static_cast<decltype(tv.tv_usec)>(micros % 1'000'000);
  return tv;
}

// Reads frames until the broker acks delivery tag `tag` (or a later one with
// `multiple`). Throws on nack, close or timeout.
void AwaitConfirm(Connection& connection, std::uint64_t tag, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    timeval tv = ToTimeval(deadline - std::chrono::steady_clock::now());
    amqp_frame_t frame;
    const int status = amqp_simple_wait_frame_noblock(connection.state(), &frame, &tv);
    if (status == AMQP_STATUS_TIMEOUT) {
      connection.MarkBroken();
      throw AmqpError("no publisher confirm for an event from " + connection.endpoint());
    }
    CheckStatus(connection, status, "waiting for an event's confirm");
    if (frame.frame_type != AMQP_FRAME_METHOD) continue;
    const amqp_method_t& method = frame.payload.method;
    if (method.id == AMQP_BASIC_ACK_METHOD) {
      const auto* ack = static_cast<const amqp_basic_ack_t*>(method.decoded);
      if (ack->delivery_tag == tag || (ack->multiple && ack->delivery_tag >= tag)) return;
    } else if (method.id == AMQP_BASIC_NACK_METHOD) {
      throw AmqpError("RabbitMQ at " + connection.endpoint() + " refused an event (basic.nack)");
    } else if (method.id == AMQP_CHANNEL_CLOSE_METHOD ||
               method.id == AMQP_CONNECTION_CLOSE_METHOD) {
      if (method.id == AMQP_CONNECTION_CLOSE_METHOD) SendConnectionCloseOk(connection.state());
      connection.MarkBroken();
      throw AmqpError("RabbitMQ at " + connection.endpoint() +
                      " closed the event channel: " + DescribeClose(method));
    }
  }
}

void DeclareEventExchange(Connection& connection, std::string_view exchange) {
  amqp_exchange_declare(connection.state(), Connection::kMainChannel, Bytes(exchange),
                        amqp_cstring_bytes("topic"), /*passive=*/0, /*durable=*/1,
                        /*auto_delete=*/0, /*internal=*/0, amqp_empty_table);
  CheckRpc(connection, amqp_get_rpc_reply(connection.state()),
           "declaring exchange '" + std::string(exchange) + "'");
}

}  // namespace

void SubscribeQueue(Connection& connection, std::string_view exchange, std::string_view queue,
                    std::string_view binding_key) {
  DeclareEventExchange(connection, exchange);
  amqp_queue_declare(connection.state(), Connection::kMainChannel, Bytes(queue), /*passive=*/0,
                     /*durable=*/1, /*exclusive=*/0, /*auto_delete=*/0, amqp_empty_table);
  CheckRpc(connection, amqp_get_rpc_reply(connection.state()),
           "declaring queue '" + std::string(queue) + "'");
  amqp_queue_bind(connection.state(), Connection::kMainChannel, Bytes(queue), Bytes(exchange),
                  Bytes(binding_key), amqp_empty_table);
  CheckRpc(connection, amqp_get_rpc_reply(connection.state()),
           "binding queue '" + std::string(queue) + "'");
}

AmqpEventPublisher::AmqpEventPublisher(EventPublisherOptions options)
    : options_(std::move(options)) {}

AmqpEventPublisher::~AmqpEventPublisher() = default;

Connection& AmqpEventPublisher::Connected() {
  if (connection_ && !connection_->broken()) return *connection_;
  Drop();
  published_ = 0;
  auto connection = std::make_unique<Connection>(options_.connection, next_node_);
  DeclareEventExchange(*connection, options_.exchange);
  connection->OpenChannel(kEventChannel, /*confirms=*/true);
  connection_ = std::move(connection);
  return *connection_;
}

void AmqpEventPublisher::Drop() {
  if (connection_) next_node_ = connection_->NextNode();
  connection_.reset();
}

void AmqpEventPublisher::Publish(std::string_view routing_key, std::string_view json) {
  Connection& connection = Connected();
  try {
    MessageProperties properties;
    const int status = amqp_basic_publish(
        connection.state(), kEventChannel, Bytes(options_.exchange), Bytes(routing_key),
        /*mandatory=*/0, /*immediate=*/0, properties.get(), Bytes(json));
    CheckStatus(connection, status, "publishing an event to '" + options_.exchange + "'");
    AwaitConfirm(connection, ++published_, options_.confirm_timeout);
  } catch (...) {
    Drop();  // confirm state unknown: start clean next time
    throw;
  }
}

}  // namespace dcp::amqp
