#pragma once
// The one retry policy of dcp: how long to wait after each failure (a delay
// doubling from `first` up to `max`, optionally with jitter) and when to
// give up (after max_attempts tries, or once a wait would end past the
// deadline). Backoff is the delay sequence alone, for loops that wait on a
// timer (reconnects, the schedule); Retry (retry.hpp) is the blocking loop.
#include <chrono>
#include <cstdint>
#include <optional>
#include <random>

namespace dcp::runtime {

struct BackoffPolicy {
  std::chrono::milliseconds first{200};   // first retry: quick, most drops are brief
  std::chrono::milliseconds max{30'000};  // cap: a down server is polled twice a minute
  // Each delay uniform in [nominal/2, nominal]: a fleet of processes that
  // lost a server together does not come back in lockstep.
  bool jitter = false;
  int max_attempts = 0;  // tries in all, the first included; 0: no limit
  // None: no deadline. Otherwise no wait starts that would end later than
  // this after the retry began (RetryOn: the first failure; the operation
  // then gives up; 0: no retry).
  std::optional<std::chrono::milliseconds> deadline = std::nullopt;
};

// The amqp consumer's reconnect delays: the default policy with jitter.
struct BackoffOptions : BackoffPolicy {
  BackoffOptions() { jitter = true; }
};

// The delays of a policy, one per failure. Cheap to make when the policy
// has no jitter (the random engine is made at the first jittered delay).
// Not thread-safe.
class Backoff {
 public:
  explicit Backoff(BackoffPolicy policy) : policy_(policy), nominal_(policy.first) {}
  Backoff(BackoffPolicy policy, std::uint64_t seed) : Backoff(policy) { seed_ = seed; }

  // The next delay: the nominal one (doubling from `first` up to `max`), or
  // with jitter uniform in [nominal/2, nominal].
  std::chrono::milliseconds Next();
  // After a success: start again from `first`.
  void Reset();
  const BackoffPolicy& policy() const { return policy_; }

 private:
  BackoffPolicy policy_;
  std::chrono::milliseconds nominal_;
  std::optional<std::uint64_t> seed_;  // none: from std::random_device
  std::optional<std::mt19937_64> random_;
};

}  // namespace dcp::runtime
