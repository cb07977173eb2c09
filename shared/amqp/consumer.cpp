#include "amqp/consumer.hpp"

#include <amqp.h>
#include <sys/time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>

#include "message_properties.hpp"
#include "rpc_check.hpp"

namespace dcp::amqp {
namespace {

constexpr std::uint16_t kConsumeChannel = Connection::kMainChannel;
constexpr std::uint16_t kDeadLetterChannel = Connection::kMainChannel + 1;  // confirm mode

double Seconds(std::chrono::milliseconds duration) {
  return std::chrono::duration<double>(duration).count();
}

}  // namespace

Consumer::Consumer(struct ev_loop* loop, ConsumerOptions options, ConsumerHandler& handler)
    : loop_(loop), options_(std::move(options)), handler_(handler), backoff_(options_.reconnect) {
  ev_init(&io_, &Consumer::OnReadable);
  ev_init(&heartbeat_, &Consumer::OnHeartbeatTimer);
  ev_init(&reconnect_, &Consumer::OnReconnectTimer);
  ev_init(&fail_, &Consumer::OnFailTimer);
  ev_prepare_init(&flush_, &Consumer::OnFlush);
  io_.data = heartbeat_.data = reconnect_.data = fail_.data = flush_.data = this;
}

Consumer::~Consumer() { Close(); }

void Consumer::Start() {
  if (started_ || closed_) return;
  started_ = true;
  ev_timer_set(&reconnect_, 0., 0.);
  ev_timer_start(loop_, &reconnect_);
}

void Consumer::Connect() {
  try {
    auto connection = std::make_unique<Connection>(options_.connection, next_node_);
    amqp_connection_state_t state = connection->state();
    if (options_.declare_queues) {
      for (const QueueOptions& queue : options_.queues) DeclareTaskQueues(*connection, queue);
    }
    connection->OpenChannel(kDeadLetterChannel, /*confirms=*/true);
    amqp_basic_qos(state, kConsumeChannel, 0, options_.prefetch, /*global=*/0);
    CheckRpc(*connection, amqp_get_rpc_reply(state), "setting the prefetch");
    std::vector<std::string> tags;
    for (std::size_t i = 0; consume_ && i < options_.queues.size(); ++i) {
      const std::string& queue = options_.queues[i].name;
      const std::string tag = i == 0 || options_.consumer_tag.empty()
                                  ? options_.consumer_tag
                                  : options_.consumer_tag + "/" + queue;
      const auto* ok = amqp_basic_consume(state, kConsumeChannel, amqp_cstring_bytes(queue.c_str()),
                                          amqp_cstring_bytes(tag.c_str()), /*no_local=*/0,
                                          /*no_ack=*/0, /*exclusive=*/0, amqp_empty_table);
      CheckRpc(*connection, amqp_get_rpc_reply(state), "consuming from '" + queue + "'");
      tags.emplace_back(static_cast<const char*>(ok->consumer_tag.bytes), ok->consumer_tag.len);
    }
    consumer_tags_ = std::move(tags);
    connection_ = std::move(connection);
  } catch (const std::exception& error) {
    handler_.OnDisconnected(error.what());
    ScheduleReconnect();
    return;
  }
  ++generation_;
  dead_letters_.Reset();
  backoff_.Reset();
  ev_io_set(&io_, connection_->socket_fd(), EV_READ);
  ev_io_start(loop_, &io_);
  // Heartbeats are only sent and checked inside rabbitmq-c calls: poll at
  // half the period so an idle loop keeps the connection alive.
  const auto heartbeat = options_.connection.heartbeat.count() > 0
                             ? std::chrono::milliseconds(options_.connection.heartbeat) / 2
                             : std::chrono::milliseconds(5000);
  ev_timer_set(&heartbeat_, Seconds(heartbeat), Seconds(heartbeat));
  ev_timer_start(loop_, &heartbeat_);
  const std::uint64_t generation = generation_;
  handler_.OnConnected();
  // The setup RPCs may have queued deliveries the socket will not signal again.
  if (generation == generation_ && connected()) Drain();
}

void Consumer::ScheduleReconnect() {
  if (closed_) return;
  ev_timer_stop(loop_, &reconnect_);
  ev_timer_set(&reconnect_, Seconds(backoff_.Next()), 0.);
  ev_timer_start(loop_, &reconnect_);
}

void Consumer::Drain() {
  const std::uint64_t generation = generation_;
  while (connected() && generation == generation_) {
    amqp_connection_state_t state = connection_->state();
    // Not {0, 0}: rabbitmq-c only detects a silent broker (missed
    // heartbeats) when the deadline is not "immediate".
    timeval no_wait{0, 1};
    amqp_frame_t frame;
    const int status = amqp_simple_wait_frame_noblock(state, &frame, &no_wait);
    if (status == AMQP_STATUS_TIMEOUT) return;  // nothing more for now
    if (status != AMQP_STATUS_OK) {
      Teardown(std::string("connection to ") + connection_->endpoint() +
                   " lost: " + amqp_error_string2(status),
               false);
      return;
    }
    HandleFrame(frame);
    if (connected() && generation == generation_) {
      amqp_maybe_release_buffers_on_channel(state, frame.channel);
    }
  }
}

void Consumer::HandleFrame(const amqp_frame_t& frame) {
  if (frame.frame_type != AMQP_FRAME_METHOD) return;
  const amqp_method_t& method = frame.payload.method;
  const std::string& endpoint = connection_->endpoint();
  switch (method.id) {
    case AMQP_BASIC_DELIVER_METHOD:
      HandleDelivery(frame);
      return;
    case AMQP_BASIC_ACK_METHOD: {
      const auto* ack = static_cast<const amqp_basic_ack_t*>(method.decoded);
      HandleConfirm(ack->delivery_tag, ack->multiple != 0, true);
      return;
    }
    case AMQP_BASIC_NACK_METHOD: {
      const auto* nack = static_cast<const amqp_basic_nack_t*>(method.decoded);
      HandleConfirm(nack->delivery_tag, nack->multiple != 0, false);
      return;
    }
    case AMQP_BASIC_RETURN_METHOD: {
      // Only dead letters and retries are published here, so their queue
      // is missing. Reconnecting declares it again; the originals come back
      // meanwhile.
      const auto* returned_to = static_cast<const amqp_basic_return_t*>(method.decoded);
      const std::string queue(static_cast<const char*>(returned_to->routing_key.bytes),
                              returned_to->routing_key.len);
      amqp_message_t returned;
      if (amqp_read_message(connection_->state(), frame.channel, &returned, 0).reply_type ==
          AMQP_RESPONSE_NORMAL) {
        amqp_destroy_message(&returned);
      }
      Teardown("queue '" + queue + "' is missing on " + endpoint, true);
      return;
    }
    case AMQP_BASIC_CANCEL_METHOD:
      Teardown("RabbitMQ at " + endpoint + " cancelled the consumer (queue deleted?)", true);
      return;
    case AMQP_CHANNEL_CLOSE_METHOD:
      Teardown("RabbitMQ at " + endpoint + " closed channel " + std::to_string(frame.channel) +
                   ": " + DescribeClose(method),
               false);
      return;
    case AMQP_CONNECTION_CLOSE_METHOD:
      SendConnectionCloseOk(connection_->state());
      Teardown("RabbitMQ at " + endpoint + " closed the connection: " + DescribeClose(method),
               false);
      return;
    default:
      return;  // basic.cancel-ok, connection.blocked...: nothing to do
  }
}

void Consumer::HandleDelivery(const amqp_frame_t& frame) {
  const auto* deliver = static_cast<const amqp_basic_deliver_t*>(frame.payload.method.decoded);
  Delivery delivery;
  delivery.ref = DeliveryRef{generation_, deliver->delivery_tag};
  delivery.redelivered = deliver->redelivered != 0;
  delivery.routing_key.assign(static_cast<const char*>(deliver->routing_key.bytes),
                              deliver->routing_key.len);
  const std::string_view tag(static_cast<const char*>(deliver->consumer_tag.bytes),
                             deliver->consumer_tag.len);
  const auto consumer = std::find(consumer_tags_.begin(), consumer_tags_.end(), tag);
  delivery.queue = consumer == consumer_tags_.end()
                       ? 0
                       : static_cast<std::size_t>(consumer - consumer_tags_.begin());
  amqp_message_t message;
  const amqp_rpc_reply_t reply =
      amqp_read_message(connection_->state(), frame.channel, &message, 0);
  if (reply.reply_type != AMQP_RESPONSE_NORMAL) {
    Teardown("reading a delivery from " + connection_->endpoint() + ": " + DescribeReply(reply),
             false);
    return;
  }
  delivery.body.assign(static_cast<const char*>(message.body.bytes), message.body.len);
  delivery.headers = ReadHeaders(message.properties);
  delivery.delivery_count = IntHeader(message.properties, "x-delivery-count");
  amqp_destroy_message(&message);

  const DeliveryRef ref = delivery.ref;
  unsettled_[ref.tag] = Unsettled{delivery.delivery_count, delivery.queue};
  try {
    handler_.OnDelivery(std::move(delivery));
  } catch (const std::exception&) {
    Reject(ref, /*requeue=*/true);
  }
}

void Consumer::HandleConfirm(std::uint64_t tag, bool multiple, bool ok) {
  dead_letters_.Confirmed(tag, multiple, [this, ok](std::uint64_t original) {
    amqp_connection_state_t state = connection_->state();
    const int status = ok ? amqp_basic_ack(state, kConsumeChannel, original, 0)
                          : amqp_basic_reject(state, kConsumeChannel, original, /*requeue=*/1);
    return Sent(status, "settling a dead-lettered delivery");
  });
}

bool Consumer::Ack(DeliveryRef ref) {
  if (!connected() || ref.connection_generation != generation_) return false;
  if (unsettled_.erase(ref.tag) == 0) return false;
  acks_.Add(ref.tag);
  ev_prepare_start(loop_, &flush_);
  return true;
}

void Consumer::FlushAcks() {
  ev_prepare_stop(loop_, &flush_);
  if (acks_.empty() || !connected()) {
    acks_.Clear();
    return;
  }
  // The lowest tag still open: unsettled, or a forwarded original awaiting
  // its confirm.
  const std::uint64_t open = std::min(unsettled_.empty() ? UINT64_MAX : unsettled_.begin()->first,
                                      dead_letters_.LowestOriginal());
  amqp_connection_state_t state = connection_->state();
  acks_.Flush(open, [&](std::uint64_t tag, bool multiple) {
    return Sent(amqp_basic_ack(state, kConsumeChannel, tag, multiple ? 1 : 0), "acking");
  });
}

void Consumer::OnFlush(struct ev_loop*, ev_prepare* watcher, int) {
  static_cast<Consumer*>(watcher->data)->FlushAcks();
}

bool Consumer::Reject(DeliveryRef ref, bool requeue) {
  if (!connected() || ref.connection_generation != generation_) return false;
  if (unsettled_.erase(ref.tag) == 0) return false;
  return Sent(amqp_basic_reject(connection_->state(), kConsumeChannel, ref.tag, requeue ? 1 : 0),
              "rejecting");
}

bool Consumer::DeadLetter(DeliveryRef ref, std::string_view body, std::string_view reason) {
  return Forward(ref, /*dead=*/true, body, std::nullopt, reason);
}

bool Consumer::Retry(DeliveryRef ref, std::string_view body, std::chrono::milliseconds delay,
                     std::string_view reason) {
  return Forward(ref, /*dead=*/false, body, delay, reason);
}

bool Consumer::Forward(DeliveryRef ref, bool dead, std::string_view body,
                       std::optional<std::chrono::milliseconds> delay, std::string_view reason) {
  if (!connected() || ref.connection_generation != generation_) return false;
  const auto it = unsettled_.find(ref.tag);
  if (it == unsettled_.end()) return false;
  const QueueOptions& of = options_.queues[it->second.queue];
  const std::string queue = dead ? of.DeadLetterName() : of.RetryName();
  MessageProperties properties;
  properties.AddString("x-dcp-reason", std::string(reason));
  properties.AddInt("x-dcp-delivery-count", it->second.delivery_count);
  if (delay) properties.SetExpiration(*delay);
  if (dead) {
    properties.SetTimestamp(std::chrono::duration_cast<std::chrono::seconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count());
  }
  amqp_bytes_t payload;
  payload.len = body.size();
  payload.bytes = const_cast<char*>(body.data());  // rabbitmq-c only reads it
  const int status = amqp_basic_publish(
      connection_->state(), kDeadLetterChannel, amqp_empty_bytes, amqp_cstring_bytes(queue.c_str()),
      /*mandatory=*/1, /*immediate=*/0, properties.get(), payload);
  unsettled_.erase(it);
  if (!Sent(status, "publishing to " + queue)) return false;
  dead_letters_.Published(ref.tag);
  return true;
}

void Consumer::Cancel() {
  if (!consume_) return;
  consume_ = false;
  if (!connected()) return;
  for (const std::string& tag : consumer_tags_) {
    amqp_basic_cancel_t cancel{};
    cancel.consumer_tag = amqp_cstring_bytes(tag.c_str());
    cancel.nowait = 0;
    if (!Sent(amqp_send_method(connection_->state(), kConsumeChannel, AMQP_BASIC_CANCEL_METHOD,
                               &cancel),
              "cancelling the consumer")) {
      return;
    }
  }
}

void Consumer::Close() {
  FlushAcks();
  closed_ = true;
  ev_io_stop(loop_, &io_);
  ev_timer_stop(loop_, &heartbeat_);
  ev_timer_stop(loop_, &reconnect_);
  ev_timer_stop(loop_, &fail_);
  if (connection_ && failing_) connection_->MarkBroken();
  connection_.reset();
  unsettled_.clear();
  dead_letters_.Reset();
}

void Consumer::Teardown(const std::string& reason, bool graceful) {
  if (!connection_) return;
  ev_io_stop(loop_, &io_);
  ev_timer_stop(loop_, &heartbeat_);
  ev_timer_stop(loop_, &fail_);
  if (!graceful) connection_->MarkBroken();
  next_node_ = connection_->NextNode();  // a lost node: move on
  connection_.reset();
  consumer_tags_.clear();
  unsettled_.clear();
  dead_letters_.Reset();
  acks_.Clear();  // the broker requeues them with the connection
  failing_ = false;
  handler_.OnDisconnected(reason);
  ScheduleReconnect();
}

void Consumer::Fail(std::string reason) {
  if (failing_) return;
  failing_ = true;
  fail_reason_ = std::move(reason);
  ev_timer_set(&fail_, 0., 0.);
  ev_timer_start(loop_, &fail_);
}

bool Consumer::Sent(int status, std::string_view what) {
  if (status == AMQP_STATUS_OK) return true;
  Fail(std::string(what) + " on " + connection_->endpoint() + ": " + amqp_error_string2(status));
  return false;
}

void Consumer::OnReadable(struct ev_loop*, ev_io* watcher, int) {
  static_cast<Consumer*>(watcher->data)->Drain();
}

void Consumer::OnHeartbeatTimer(struct ev_loop*, ev_timer* watcher, int) {
  static_cast<Consumer*>(watcher->data)->Drain();
}

void Consumer::OnReconnectTimer(struct ev_loop*, ev_timer* watcher, int) {
  auto* self = static_cast<Consumer*>(watcher->data);
  if (!self->closed_ && !self->connection_) self->Connect();
}

void Consumer::OnFailTimer(struct ev_loop*, ev_timer* watcher, int) {
  auto* self = static_cast<Consumer*>(watcher->data);
  self->Teardown(self->fail_reason_, false);
}

}  // namespace dcp::amqp
