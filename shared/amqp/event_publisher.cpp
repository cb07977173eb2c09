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
  if (connection_ && connection_->StillOpen()) return *connection_;
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
    AwaitConfirm(connection, ++published_, options_.confirm_timeout, "an event");
  } catch (...) {
    Drop();  // confirm state unknown: start clean next time
    throw;
  }
}

}  // namespace dcp::amqp
