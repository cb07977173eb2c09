#pragma once
// Forwarded deliveries (dead letters and retries) awaiting the broker's
// confirm of their publish, each with the original delivery it settles. On
// a confirm channel the broker numbers the publishes 1, 2, ... per
// connection and answers each with an ack (stored) or a nack (refused); an
// answer with `multiple` covers every publish up to its tag.
//
// Pure (no rabbitmq-c, no libev); not thread-safe.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>

namespace dcp::amqp {

class PendingConfirms {
 public:
  // A publish settling delivery `original` went out; returns its confirm tag.
  std::uint64_t Published(std::uint64_t original) {
    pending_[++published_] = original;
    return published_;
  }

  // The broker answered `tag` (every pending tag up to it if `multiple`).
  // Calls `settle(original)` for each original it covers, in tag order, and
  // forgets them. If `settle` returns false (the connection failed), stops
  // and forgets none: the connection's teardown Reset()s them all.
  template <class Settle>
  void Confirmed(std::uint64_t tag, bool multiple, Settle&& settle) {
    auto first = multiple ? pending_.begin() : pending_.find(tag);
    if (first == pending_.end()) return;
    const auto last = pending_.upper_bound(tag);
    for (auto it = first; it != last; ++it) {
      if (!settle(it->second)) return;
    }
    pending_.erase(first, last);
  }

  // The lowest original still awaiting a confirm; max() if none.
  std::uint64_t LowestOriginal() const {
    std::uint64_t lowest = std::numeric_limits<std::uint64_t>::max();
    for (const auto& entry : pending_) lowest = std::min(lowest, entry.second);
    return lowest;
  }
  std::size_t size() const { return pending_.size(); }
  // A new connection: nothing pending, tags start again at 1.
  void Reset() {
    pending_.clear();
    published_ = 0;
  }

 private:
  std::map<std::uint64_t, std::uint64_t> pending_;  // confirm tag => original tag
  std::uint64_t published_ = 0;                     // the last confirm tag
};

}  // namespace dcp::amqp
