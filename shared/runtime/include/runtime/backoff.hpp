#pragma once
// Reconnect delays: exponential with jitter, so a fleet of workers that lost
// the broker together does not come back in lockstep.
#include <chrono>
#include <cstdint>
#include <random>

namespace dcp::runtime {

struct BackoffOptions {
  std::chrono::milliseconds initial{200};  // first retry: quick, most drops are brief
  std::chrono::milliseconds max{30'000};   // cap: a down broker is polled twice a minute
};

// Not thread-safe.
class Backoff {
 public:
  explicit Backoff(BackoffOptions options, std::uint64_t seed = std::random_device{}());

  // The next delay: uniform in [nominal/2, nominal], nominal doubling from
  // `initial` up to `max`.
  std::chrono::milliseconds Next();
  // After a success: start again from `initial`.
  void Reset();

 private:
  BackoffOptions options_;
  std::chrono::milliseconds nominal_;
  std::mt19937_64 random_;
};

}  // namespace dcp::runtime
