#include "amqp/confirm_publisher.hpp"

#include <amqp.h>
#include <sys/time.h>

#include <algorithm>
#include <set>

#include "message_properties.hpp"
#include "ports/errors.hpp"
#include "rpc_check.hpp"

namespace dcp::amqp {
namespace {

constexpr std::uint16_t kConfirmChannel = Connection::kMainChannel + 1;
constexpr std::size_t kPollEvery = 256;  // publishes between non-blocking confirm reads

amqp_bytes_t Bytes(std::string_view text) {
  amqp_bytes_t bytes;
  bytes.len = text.size();
  bytes.bytes = const_cast<char*>(text.data());  // rabbitmq-c only reads it
  return bytes;
}

void Publish(Connection& connection, const amqp_basic_properties_t* properties,
             std::string_view queue, std::string_view body) {
  const int status =
      amqp_basic_publish(connection.state(), kConfirmChannel, amqp_empty_bytes, Bytes(queue),
                         /*mandatory=*/1, /*immediate=*/0, properties, Bytes(body));
  CheckStatus(connection, status, "publishing to '" + std::string(queue) + "'");
}

// Delivery tags of one call are first..last published so far; tags below
// `next_unconfirmed` are confirmed, and so are those in `confirmed_ahead`
// (single acks that arrived out of order).
struct Batch {
  std::uint64_t last = 0;
  std::uint64_t next_unconfirmed = 0;
  std::set<std::uint64_t> confirmed_ahead;

  std::size_t InFlight() const { return static_cast<std::size_t>(last + 1 - next_unconfirmed); }

  void Confirm(std::uint64_t tag, bool multiple) {
    if (multiple) {
      next_unconfirmed = std::max(next_unconfirmed, tag + 1);
    } else if (tag >= next_unconfirmed) {
      confirmed_ahead.insert(tag);
    }
    while (!confirmed_ahead.empty() && *confirmed_ahead.begin() <= next_unconfirmed) {
      if (*confirmed_ahead.begin() == next_unconfirmed) ++next_unconfirmed;
      confirmed_ahead.erase(confirmed_ahead.begin());
    }
  }
};

timeval Remaining(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::max(std::chrono::steady_clock::duration::zero(),
                             deadline - std::chrono::steady_clock::now());
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(left).count();
  timeval tv{};
  tv.tv_sec = static_cast<decltype(tv.tv_sec)>(micros / 1'000'000);
  tv.tv_usec = static_cast<decltype(tv.tv_usec)>(micros % 1'000'000);
  if (tv.tv_sec == 0 && tv.tv_usec == 0) tv.tv_usec = 1;  // zero would mean "don't wait"
  return tv;
}

void HandleFrame(Connection& connection, Batch& batch, const amqp_frame_t& frame) {
  if (frame.frame_type != AMQP_FRAME_METHOD) return;
  const amqp_method_t& method = frame.payload.method;
  switch (method.id) {
    case AMQP_BASIC_ACK_METHOD: {
      const auto* ack = static_cast<const amqp_basic_ack_t*>(method.decoded);
      batch.Confirm(ack->delivery_tag, ack->multiple != 0);
      return;
    }
    case AMQP_BASIC_NACK_METHOD:
      throw AmqpError("RabbitMQ at " + connection.endpoint() +
                      " refused a publish (basic.nack): the messages are not safely stored");
    case AMQP_BASIC_RETURN_METHOD: {
      const auto* returned = static_cast<const amqp_basic_return_t*>(method.decoded);
      const std::string queue(static_cast<const char*>(returned->routing_key.bytes),
                              returned->routing_key.len);
      const std::string text(static_cast<const char*>(returned->reply_text.bytes),
                             returned->reply_text.len);
      throw AmqpError("queue '" + queue + "' does not exist on " + connection.endpoint() +
                      ": the broker returned the message as unroutable (" + text + ")");
    }
    case AMQP_CHANNEL_CLOSE_METHOD:
      connection.MarkBroken();
      throw AmqpError("RabbitMQ at " + connection.endpoint() +
                      " closed the publishing channel: " + DescribeClose(method));
    case AMQP_CONNECTION_CLOSE_METHOD:
      SendConnectionCloseOk(connection.state());
      connection.MarkBroken();
      throw AmqpError("RabbitMQ at " + connection.endpoint() +
                      " closed the connection: " + DescribeClose(method));
    default:
      return;
  }
}

// Reads confirms until at most `target` publishes of the batch are in flight.
// With `block` false it only reads what has already arrived.
void AwaitConfirms(Connection& connection, Batch& batch, std::size_t target, bool block,
                   std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (batch.InFlight() > target) {
    timeval tv = block ? Remaining(deadline) : timeval{0, 0};
    amqp_frame_t frame;
    const int status = amqp_simple_wait_frame_noblock(connection.state(), &frame, &tv);
    if (status == AMQP_STATUS_TIMEOUT) {
      if (!block) return;
      connection.MarkBroken();  // don't wait for a graceful close either
      throw AmqpError("no publisher confirm from " + connection.endpoint() + " within " +
                      std::to_string(timeout.count()) + " ms (" + std::to_string(batch.InFlight()) +
                      " messages unconfirmed)");
    }
    CheckStatus(connection, status, "waiting for publisher confirms");
    const std::size_t before = batch.InFlight();
    HandleFrame(connection, batch, frame);
    amqp_maybe_release_buffers_on_channel(connection.state(), frame.channel);
    if (batch.InFlight() < before) deadline = std::chrono::steady_clock::now() + timeout;
  }
}

}  // namespace

ConfirmPublisher::ConfirmPublisher(PublisherOptions options) : options_(std::move(options)) {
  Connected();
}

ConfirmPublisher::~ConfirmPublisher() = default;

Connection& ConfirmPublisher::Connected() {
  if (connection_ && connection_->StillOpen()) return *connection_;
  Drop();
  published_ = 0;
  auto connection = std::make_unique<Connection>(options_.connection, next_node_);
  if (options_.declare_queues) DeclareTaskQueues(*connection, options_.queue);
  connection->OpenChannel(kConfirmChannel, /*confirms=*/true);
  connection_ = std::move(connection);
  return *connection_;
}

void ConfirmPublisher::Drop() {
  if (connection_) next_node_ = connection_->NextNode();
  connection_.reset();
}

void ConfirmPublisher::PublishConfirmed(std::span<const std::string> bodies) {
  if (bodies.empty()) return;
  Connection& connection = Connected();
  Batch batch{published_, published_ + 1, {}};
  try {
    MessageProperties properties;
    std::size_t since_poll = 0;
    for (const std::string& body : bodies) {
      Publish(connection, properties.get(), options_.queue.name, body);
      batch.last = ++published_;
      if (batch.InFlight() >= options_.max_in_flight) {
        AwaitConfirms(connection, batch, options_.max_in_flight / 2, true,
                      options_.confirm_timeout);
      } else if (++since_poll == kPollEvery) {
        since_poll = 0;
        AwaitConfirms(connection, batch, 0, false, options_.confirm_timeout);
      }
    }
    AwaitConfirms(connection, batch, 0, true, options_.confirm_timeout);
  } catch (...) {
    Drop();  // confirm state unknown: start clean next time
    throw;
  }
}

void ConfirmPublisher::PublishConfirmed(std::string_view queue, std::string_view body,
                                        const Headers& headers) {
  Connection& connection = Connected();
  Batch batch{published_, published_ + 1, {}};
  try {
    MessageProperties properties;
    for (const Header& header : headers) properties.AddString(header.name, header.value);
    Publish(connection, properties.get(), queue, body);
    batch.last = ++published_;
    AwaitConfirms(connection, batch, 0, true, options_.confirm_timeout);
  } catch (...) {
    Drop();
    throw;
  }
}

}  // namespace dcp::amqp
