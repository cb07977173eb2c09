#pragma once
// Acks of one loop iteration, sent as few frames as possible: one basic.ack
// with `multiple` settles every delivery tag up to it, so it may cover the
// acked tags below the lowest tag still open (unsettled, or a forwarded
// original awaiting its confirm); the acked tags above that go one frame
// each. Every tag below the lowest open one that is not acked here was
// settled before (acked, rejected, or forwarded and confirmed), so the
// `multiple` ack settles nothing else.
//
// Pure (no rabbitmq-c, no libev); not thread-safe.
#include <algorithm>
#include <cstdint>
#include <vector>

namespace dcp::amqp {

class AckCoalescer {
 public:
  void Add(std::uint64_t tag) { acked_.push_back(tag); }
  bool empty() const { return acked_.empty(); }
  // Forgets the acks (their connection is gone: the broker requeues them).
  void Clear() { acked_.clear(); }

  // Sends the acks and forgets them: `send(tag, multiple)` once with
  // multiple = true for the highest acked tag below `lowest_open` (if any),
  // then once per acked tag above it, in ascending order. `send` returns
  // false when the frame could not be sent: nothing more is sent.
  template <class Send>
  void Flush(std::uint64_t lowest_open, Send&& send) {
    std::sort(acked_.begin(), acked_.end());
    const auto above = std::lower_bound(acked_.begin(), acked_.end(), lowest_open);
    bool ok = above == acked_.begin() || send(*(above - 1), true);
    for (auto it = above; ok && it != acked_.end(); ++it) ok = send(*it, false);
    acked_.clear();
  }

 private:
  std::vector<std::uint64_t> acked_;  // capacity kept between flushes
};

}  // namespace dcp::amqp
