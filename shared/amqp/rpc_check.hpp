#pragma once
// Internal: turns rabbitmq-c results into dcp's exceptions and readable text.
// Included by the .cpp files of this folder only.
#include <amqp.h>

#include <chrono>
#include <string>
#include <string_view>

#include "amqp/connection.hpp"

namespace dcp::amqp {

// "404 NOT_FOUND - no queue 'x' in vhost 'dcp'" from a channel.close or
// connection.close method; anything else is named by its method id.
std::string DescribeClose(const amqp_method_t& method);

// One line for any non-normal reply: library error or server close reason.
std::string DescribeReply(const amqp_rpc_reply_t& reply);

// The server reply code of a channel.close / connection.close reply, else 0.
int CloseCode(const amqp_rpc_reply_t& reply);

// Throws AmqpError "<what>: <reason>" unless the reply is normal. A channel
// closed by the server is reopened first, so `connection` stays usable; a
// closed or failed connection is marked broken.
void CheckRpc(Connection& connection, const amqp_rpc_reply_t& reply, std::string_view what,
              std::uint16_t channel = Connection::kMainChannel);

// Throws AmqpError for a failed send (status < 0), marking it broken.
void CheckStatus(Connection& connection, int status, std::string_view what);

// Reads frames until the broker confirms delivery tag `tag` (or a later one
// with `multiple`) of a confirm channel. Throws AmqpError on nack, close or
// timeout; `what` names the message ("an event").
void AwaitConfirm(Connection& connection, std::uint64_t tag, std::chrono::milliseconds timeout,
                  std::string_view what);
// Acknowledges a server-initiated connection.close (best effort).
void SendConnectionCloseOk(amqp_connection_state_t state);

}  // namespace dcp::amqp
