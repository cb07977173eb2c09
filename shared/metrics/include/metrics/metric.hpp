#pragma once
// The three metric kinds. Every update is lock-free (atomics) and may come
// from any thread; reads see each value atomically, not a consistent snapshot
// across values. Instances are created and owned by a Registry, which hands
// out references valid for the registry's lifetime.
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace dcp::metrics {

// Monotonic count (Prometheus `counter`). Never decreases.
class Counter {
 public:
  void Increment(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// A value that goes up and down (Prometheus `gauge`).
class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Increment(double delta = 1) { value_.fetch_add(delta, std::memory_order_relaxed); }
  void Decrement(double delta = 1) { value_.fetch_sub(delta, std::memory_order_relaxed); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Observations counted in fixed buckets (Prometheus `histogram`). Bucket
// bounds are the inclusive upper bounds, strictly increasing; +Inf is
// implicit.
class Histogram {
 public:
  struct Snapshot {
    std::vector<double> bounds;             // without +Inf
    std::vector<std::uint64_t> cumulative;  // bounds.size() + 1 entries, last is +Inf
    double sum = 0;
    std::uint64_t count() const { return cumulative.empty() ? 0 : cumulative.back(); }
  };

  // Throws std::invalid_argument unless `bounds` is non-empty, finite and
  // strictly increasing.
  explicit Histogram(std::vector<double> bounds);

  void Observe(double value);
  // `count` is derived from the buckets, so it always equals the +Inf
  // bucket; `sum` may lag a concurrent Observe by one value.
  Snapshot Collect() const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // per bucket, not cumulative
  std::atomic<double> sum_{0};
};

// Prometheus' default buckets (5 ms .. 10 s), for request-like latencies.
std::vector<double> DefaultBuckets();
// `count` bounds: start, start*factor, ... (start > 0, factor > 1).
std::vector<double> ExponentialBuckets(double start, double factor, int count);

}  // namespace dcp::metrics
