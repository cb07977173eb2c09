#pragma once
// Internal: one basic.get, the message as a Delivery (TakeOne, QueueReader).
#include <optional>
#include <string_view>

#include "amqp/connection.hpp"
#include "amqp/message.hpp"

namespace dcp::amqp {

// The next message of `queue` on the main channel, or nullopt if it is
// empty. With `no_ack` the broker forgets it at once; without, it is held
// until acked or the channel closes (Delivery::ref.tag is its tag). Throws
// AmqpError.
std::optional<Delivery> GetMessage(Connection& connection, std::string_view queue, bool no_ack);

}  // namespace dcp::amqp
