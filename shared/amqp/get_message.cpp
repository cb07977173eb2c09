#include "get_message.hpp"

#include <amqp.h>

#include <string>

#include "message_properties.hpp"
#include "rpc_check.hpp"

namespace dcp::amqp {

std::optional<Delivery> GetMessage(Connection& connection, std::string_view queue, bool no_ack) {
  amqp_connection_state_t state = connection.state();
  const std::string what = "getting from queue '" + std::string(queue) + "'";
  amqp_bytes_t name;
  name.len = queue.size();
  name.bytes = const_cast<char*>(queue.data());  // rabbitmq-c only reads it
  const amqp_rpc_reply_t reply =
      amqp_basic_get(state, Connection::kMainChannel, name, no_ack ? 1 : 0);
  CheckRpc(connection, reply, what);
  if (reply.reply.id == AMQP_BASIC_GET_EMPTY_METHOD) return std::nullopt;
  const auto* get_ok = static_cast<const amqp_basic_get_ok_t*>(reply.reply.decoded);
  Delivery delivery;
  delivery.ref.tag = get_ok->delivery_tag;
  delivery.redelivered = get_ok->redelivered != 0;
  delivery.routing_key.assign(static_cast<const char*>(get_ok->routing_key.bytes),
                              get_ok->routing_key.len);
  amqp_message_t message;
  const amqp_rpc_reply_t read = amqp_read_message(state, Connection::kMainChannel, &message, 0);
  CheckRpc(connection, read, what);
  delivery.body.assign(static_cast<const char*>(message.body.bytes), message.body.len);
  delivery.headers = ReadHeaders(message.properties);
  delivery.delivery_count = IntHeader(message.properties, "x-delivery-count");
  delivery.dead_lettered_at = DeadLetteredAt(message.properties);
  amqp_destroy_message(&message);
  amqp_maybe_release_buffers(state);
  return delivery;
}

}  // namespace dcp::amqp
