#pragma once
// Messages as the rest of dcp sees them: plain values, no AMQP frames.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dcp::amqp {

// Names one delivery for a later Ack / Reject / DeadLetter. Only valid on
// the connection it arrived on: once that connection is gone the broker has
// requeued the message, and settling the stale ref is a no-op.
struct DeliveryRef {
  std::uint64_t connection_generation = 0;
  std::uint64_t tag = 0;
};

// A string-valued message header (application headers of basic.properties).
struct Header {
  std::string name;
  std::string value;
};
using Headers = std::vector<Header>;

struct Delivery {
  DeliveryRef ref;
  std::string body;
  // Set by the broker when the message was delivered before and not acked.
  bool redelivered = false;
  // Failed deliveries so far (quorum queues' x-delivery-count; 0 if absent).
  std::int64_t delivery_count = 0;
  std::string routing_key;
  // The queue it came from: its index in the consumer's queues (0 with one).
  std::size_t queue = 0;
  // Application headers (integers in decimal), e.g. x-dcp-reason.
  Headers headers;
  // Read by QueueReader only (dead letters): when the message was
  // dead-lettered, in Unix seconds: the timestamp property dcp sets on its
  // dead letters, else the time of the broker's latest x-death entry; none
  // if neither is there.
  std::optional<std::int64_t> dead_lettered_at;
};

}  // namespace dcp::amqp
