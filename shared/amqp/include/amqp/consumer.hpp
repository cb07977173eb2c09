#pragma once
// Consumes task queues (one, or one per job a worker serves) on a libev
// loop, with manual acks, a prefetch, heartbeats and reconnection.
#include <ev.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "amqp/ack_coalescer.hpp"
#include "amqp/connection.hpp"
#include "amqp/message.hpp"
#include "amqp/pending_confirms.hpp"
#include "amqp/queue_topology.hpp"
#include "runtime/backoff.hpp"

struct amqp_frame_t_;

namespace dcp::amqp {

struct ConsumerOptions {
  ConnectionOptions connection;
  // Consumed together on one channel, a basic.consume each; a delivery says
  // which (Delivery::queue, its index here). At least one, distinct names.
  std::vector<QueueOptions> queues{QueueOptions{}};
  // Declare the task and dead-letter queues on every connect, so workers can
  // start before the leader has ever run.
  bool declare_queues = true;
  // Unacked deliveries held at a time from each queue (basic.qos per
  // consumer). 1 spreads long tasks fairly across workers; more buys
  // throughput for short ones.
  std::uint16_t prefetch = 1;
  // Empty: the broker generates them. With several queues, the tag of each
  // but the first ends in "/<queue name>" (tags are unique per channel).
  std::string consumer_tag;
  runtime::BackoffOptions reconnect;
};

// Receives what the Consumer observes. All calls happen on the loop thread,
// from the loop itself, never from inside a Consumer method, and must not
// throw (an exception from OnDelivery requeues that delivery).
class ConsumerHandler {
 public:
  virtual ~ConsumerHandler() = default;
  // At-least-once: every delivery must end in exactly one Ack, Reject or
  // DeadLetter, now or later. One not settled when its connection drops
  // comes back (redelivered = true), possibly to another worker, so
  // processing must be idempotent.
  virtual void OnDelivery(Delivery delivery) = 0;
  // Consuming (again). Refs of earlier connections are now stale.
  virtual void OnConnected() {}
  // The connection is gone, or an attempt to connect failed; a reconnect is
  // scheduled unless Close() was called. The broker requeues every delivery
  // that was not settled.
  virtual void OnDisconnected(const std::string& reason) { (void)reason; }
};

// Everything happens on the thread running `loop` (not thread-safe); the
// loop, the handler and the Consumer must outlive each other in that order
// of creation. Connecting is synchronous on the loop (bounded by
// connect_timeout). Handlers must not destroy the Consumer from a callback.
class Consumer {
 public:
  Consumer(struct ev_loop* loop, ConsumerOptions options, ConsumerHandler& handler);
  ~Consumer();  // Close()
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  // Connects from the loop's next iteration, then keeps reconnecting with
  // backoff until Close().
  void Start();

  // Settle a delivery. False (and nothing sent) when `ref` belongs to an
  // earlier connection or was already settled: the broker has requeued or
  // settled it already. Acks are sent when the loop next waits (or on
  // Close), as few frames as possible: one `multiple` ack for the tags below
  // the lowest still open, one each for the rest.
  bool Ack(DeliveryRef ref);
  bool Reject(DeliveryRef ref, bool requeue);
  // Publishes `body` to the dead-letter queue of the delivery's queue
  // (`<queue>.dead`) with headers x-dcp-reason and
  // x-dcp-delivery-count, and acks the original once the broker confirms
  // that publish (later, on the loop). If the dead letter is refused
  // (nack) the original is requeued; if the connection drops first the
  // broker redelivers it. True when the dead letter was sent.
  bool DeadLetter(DeliveryRef ref, std::string_view body, std::string_view reason);
  // Publishes `body` to `<queue>.retry` (of the delivery's queue) with a TTL
  // of `delay`, after which the broker returns it to that queue; the original is settled as for
  // DeadLetter. True when the retry was sent.
  bool Retry(DeliveryRef ref, std::string_view body, std::chrono::milliseconds delay,
             std::string_view reason);

  // Stops deliveries (basic.cancel) but keeps the connection, so in-flight
  // deliveries can still be settled. Deliveries already on the wire may
  // still arrive. Holds across reconnects.
  void Cancel();
  // Closes the connection (unsettled deliveries return to the queue; blocks
  // the loop up to rpc_timeout for the broker's close-ok) and stops every
  // watcher. Final.
  void Close();

  bool connected() const { return connection_ != nullptr && !failing_; }
  // host:port of the node consumed from; empty while not connected.
  std::string endpoint() const { return connection_ ? connection_->endpoint() : std::string(); }
  std::uint64_t generation() const { return generation_; }
  // Deliveries received and not yet settled, dead letters awaiting confirm included.
  std::size_t unsettled() const { return unsettled_.size() + dead_letters_.size(); }

 private:
  static void OnReadable(struct ev_loop* loop, ev_io* watcher, int events);
  static void OnHeartbeatTimer(struct ev_loop* loop, ev_timer* watcher, int events);
  static void OnReconnectTimer(struct ev_loop* loop, ev_timer* watcher, int events);
  static void OnFailTimer(struct ev_loop* loop, ev_timer* watcher, int events);
  static void OnFlush(struct ev_loop* loop, ev_prepare* watcher, int events);
  void FlushAcks();

  void Connect();
  void ScheduleReconnect();
  // Reads every frame already available without blocking.
  void Drain();
  void HandleFrame(const amqp_frame_t_& frame);
  void HandleDelivery(const amqp_frame_t_& frame);
  void HandleConfirm(std::uint64_t tag, bool multiple, bool ok);
  // Drops the connection from a loop callback and tells the handler.
  void Teardown(const std::string& reason, bool graceful);
  // A send failed inside a Consumer method: tear down from the loop instead.
  void Fail(std::string reason);
  bool Sent(int status, std::string_view what);
  // Publishes on the confirm channel and settles `ref` when confirmed.
  // `dead`: to the dead-letter queue of the delivery's, else its retry queue.
  bool Forward(DeliveryRef ref, bool dead, std::string_view body,
               std::optional<std::chrono::milliseconds> delay, std::string_view reason);

  struct ev_loop* loop_;
  ConsumerOptions options_;
  ConsumerHandler& handler_;
  runtime::Backoff backoff_;
  std::unique_ptr<Connection> connection_;
  std::size_t next_node_ = 0;               // where the next connection starts
  std::vector<std::string> consumer_tags_;  // by queue; empty while not consuming
  ev_io io_{};
  ev_timer heartbeat_{};
  ev_timer reconnect_{};
  ev_timer fail_{};
  ev_prepare flush_{};
  std::uint64_t generation_ = 0;
  struct Unsettled {
    std::int64_t delivery_count = 0;
    std::size_t queue = 0;  // index in options_.queues
  };
  std::map<std::uint64_t, Unsettled> unsettled_;  // by delivery tag
  AckCoalescer acks_;                             // acked, not sent yet
  PendingConfirms dead_letters_;                  // forwarded, awaiting their confirm
  std::string fail_reason_;
  bool started_ = false;
  bool closed_ = false;
  bool consume_ = true;  // false after Cancel()
  bool failing_ = false;
};

}  // namespace dcp::amqp
