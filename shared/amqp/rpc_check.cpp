#include "rpc_check.hpp"

#include <sys/time.h>

#include <algorithm>
#include <chrono>

#include "ports/errors.hpp"

namespace dcp::amqp {
namespace {

std::string BytesText(amqp_bytes_t bytes) {
  return {static_cast<const char*>(bytes.bytes), bytes.len};
}

timeval ToTimeval(std::chrono::steady_clock::duration left) {
  const auto micros = std::max<std::int64_t>(
      1, std::chrono::duration_cast<std::chrono::microseconds>(left).count());
  timeval tv{};
  tv.tv_sec = static_cast<decltype(tv.tv_sec)>(micros / 1'000'000);
  tv.tv_usec = static_cast<decltype(tv.tv_usec)>(micros % 1'000'000);
  return tv;
}

}  // namespace

std::string DescribeClose(const amqp_method_t& method) {
  if (method.id == AMQP_CONNECTION_CLOSE_METHOD) {
    const auto* close = static_cast<const amqp_connection_close_t*>(method.decoded);
    return std::to_string(close->reply_code) + " " + BytesText(close->reply_text);
  }
  if (method.id == AMQP_CHANNEL_CLOSE_METHOD) {
    const auto* close = static_cast<const amqp_channel_close_t*>(method.decoded);
    return std::to_string(close->reply_code) + " " + BytesText(close->reply_text);
  }
  const char* name = amqp_method_name(method.id);
  return std::string("unexpected method ") + (name != nullptr ? name : "?");
}

std::string DescribeReply(const amqp_rpc_reply_t& reply) {
  switch (reply.reply_type) {
    case AMQP_RESPONSE_NORMAL:
      return "ok";
    case AMQP_RESPONSE_NONE:
      return "no reply from the broker";
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
      return amqp_error_string2(reply.library_error);
    case AMQP_RESPONSE_SERVER_EXCEPTION:
      if (reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
        return "broker closed the connection: " + DescribeClose(reply.reply);
      }
      return "broker closed the channel: " + DescribeClose(reply.reply);
  }
  return "unknown reply type";
}

int CloseCode(const amqp_rpc_reply_t& reply) {
  if (reply.reply_type != AMQP_RESPONSE_SERVER_EXCEPTION) return 0;
  if (reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
    return static_cast<const amqp_connection_close_t*>(reply.reply.decoded)->reply_code;
  }
  if (reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
    return static_cast<const amqp_channel_close_t*>(reply.reply.decoded)->reply_code;
  }
  return 0;
}

void SendConnectionCloseOk(amqp_connection_state_t state) {
  amqp_connection_close_ok_t close_ok{};
  close_ok.dummy = 0;
  amqp_send_method(state, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &close_ok);
}

void CheckRpc(Connection& connection, const amqp_rpc_reply_t& reply, std::string_view what,
              std::uint16_t channel) {
  if (reply.reply_type == AMQP_RESPONSE_NORMAL) return;
  const std::string message =
      std::string(what) + " (" + connection.endpoint() + "): " + DescribeReply(reply);
  if (reply.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION &&
      reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
    try {
      connection.ReopenChannel(channel);
    } catch (const std::exception&) {
      connection.MarkBroken();
    }
  } else {
    if (reply.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION) {
      SendConnectionCloseOk(connection.state());
    }
    connection.MarkBroken();
  }
  throw AmqpError(message);
}

void CheckStatus(Connection& connection, int status, std::string_view what) {
  if (status >= 0) return;
  connection.MarkBroken();
  throw AmqpError(std::string(what) + " (" + connection.endpoint() +
                  "): " + amqp_error_string2(status));
}

void AwaitConfirm(Connection& connection, std::uint64_t tag, std::chrono::milliseconds timeout,
                  std::string_view what) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    timeval tv = ToTimeval(deadline - std::chrono::steady_clock::now());
    amqp_frame_t frame;
    const int status = amqp_simple_wait_frame_noblock(connection.state(), &frame, &tv);
    if (status == AMQP_STATUS_TIMEOUT) {
      connection.MarkBroken();
      throw AmqpError("no publisher confirm for " + std::string(what) + " from " +
                      connection.endpoint());
    }
    CheckStatus(connection, status, "waiting for the confirm of " + std::string(what));
    if (frame.frame_type != AMQP_FRAME_METHOD) continue;
    const amqp_method_t& method = frame.payload.method;
    if (method.id == AMQP_BASIC_ACK_METHOD) {
      const auto* ack = static_cast<const amqp_basic_ack_t*>(method.decoded);
      if (ack->delivery_tag == tag || (ack->multiple && ack->delivery_tag >= tag)) return;
    } else if (method.id == AMQP_BASIC_NACK_METHOD) {
      throw AmqpError("RabbitMQ at " + connection.endpoint() + " refused " + std::string(what) +
                      " (basic.nack)");
    } else if (method.id == AMQP_CHANNEL_CLOSE_METHOD ||
               method.id == AMQP_CONNECTION_CLOSE_METHOD) {
      if (method.id == AMQP_CONNECTION_CLOSE_METHOD) SendConnectionCloseOk(connection.state());
      connection.MarkBroken();
      throw AmqpError("RabbitMQ at " + connection.endpoint() + " closed the channel of " +
                      std::string(what) + ": " + DescribeClose(method));
    }
  }
}

}  // namespace dcp::amqp
