#pragma once
// Reads a queue without consuming it: `dcp dead list` and `dcp dead replay`
// on the dead-letter queue.
#include <cstdint>
#include <optional>
#include <string>

#include "amqp/connection.hpp"
#include "amqp/message.hpp"

namespace dcp::amqp {

// Takes messages off one queue with basic.get and manual acks, and holds
// them unacked on its own connection until Ack() or until it is destroyed:
// its connection then closes, and the broker puts every message not acked
// back in the queue. A process killed midway loses nothing either (the
// broker sees the connection drop). The broker puts held messages back where
// they were (classic queues) or ahead of the rest in the order they were
// taken (quorum queues), so reading a queue and letting go reorders nothing
// that a consumer could tell. While held, a message is counted unacked, not
// ready, and no other consumer gets it.
//
// Throws UnavailableError (cannot connect) and AmqpError (no such queue, a
// broken connection). Not thread-safe.
class QueueReader {
 public:
  QueueReader(const ConnectionOptions& options, std::string queue);
  ~QueueReader();
  QueueReader(const QueueReader&) = delete;
  QueueReader& operator=(const QueueReader&) = delete;

  // Messages ready in the queue now (passive declare): those not held by
  // this or any other reader or consumer.
  std::uint32_t Ready();
  // The next ready message, held (Delivery::ref.tag names it for Ack), or
  // nullopt when none is ready.
  std::optional<Delivery> Next();
  // Removes a held message from the queue for good (basic.ack). The broker
  // applies acks in order before it answers the close of the connection.
  void Ack(std::uint64_t tag);

  const std::string& queue() const { return queue_; }

 private:
  Connection connection_;
  std::string queue_;
};

}  // namespace dcp::amqp
