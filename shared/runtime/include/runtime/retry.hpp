#pragma once
// The retry loop of one operation under a BackoffPolicy (backoff.hpp): the
// caller tries, and after each failure asks AfterFailure() whether to try
// again; it waits the policy's next delay in between. Retry() wraps that
// around a call that throws.
//
// Not thread-safe: one Retry per retried operation, on the caller's thread.
#include <chrono>
#include <functional>
#include <optional>
#include <stdexcept>
#include <utility>

#include "runtime/backoff.hpp"
#include "runtime/stopper.hpp"

namespace dcp::runtime {

// Thrown when the process was asked to stop during a retry's wait: the
// operation was not done (a worker's message then returns to the queue with
// the connection).
class Abandoned : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Retry {
 public:
  using Clock = std::chrono::steady_clock;
  // Waits `delay`; false if the wait was cut short because the process stops.
  using Wait = std::function<bool(std::chrono::milliseconds delay)>;
  using Now = std::function<Clock::time_point()>;
  enum class Verdict { kTryAgain, kGiveUp, kStopped };

  // The policy's deadline counts from now (`now()`). Defaults: a plain
  // sleep, the steady clock.
  explicit Retry(BackoffPolicy policy, Wait wait = SleepFor, Now now = Clock::now);
  // Waits end early when `stopper` stops.
  Retry(BackoffPolicy policy, Stopper& stopper);

  // The delay the next AfterFailure() waits (for a log line before it).
  std::chrono::milliseconds next_delay() const { return next_delay_; }
  int attempts() const { return attempts_; }  // the tries so far (failures counted)

  // After a failed try: kGiveUp if the policy's limit is reached (no wait),
  // kStopped if the wait was cut short, else kTryAgain after the wait.
  // `before_wait(delay)`, if given, is called before waiting (a log line).
  Verdict AfterFailure(const std::function<void(std::chrono::milliseconds)>& before_wait = {});

  static bool SleepFor(std::chrono::milliseconds delay);

 private:
  Backoff backoff_;
  Wait wait_;
  Now now_;
  Clock::time_point started_;
  std::chrono::milliseconds next_delay_;
  int attempts_ = 0;
};

// Calls op() until it returns, and returns what it returns. An exception
// `E` for which retryable(e) holds is retried: `on_retry(e, delay)` is told
// before each wait (for logging); once the policy gives up it propagates;
// if the wait stops, Abandoned(`stopped_reason`) is thrown. Any other
// exception propagates at once. The Retry is made by make_retry() at the
// first failure: a call that succeeds at once, the usual case on the hot
// paths (every database operation of a worker), builds no retry state, and
// a policy's deadline counts from that first failure.
template <class E, class MakeRetry, class Op, class IsRetryable, class OnRetry>
auto RetryOn(MakeRetry&& make_retry, Op&& op, IsRetryable&& retryable, OnRetry&& on_retry,
             const char* stopped_reason = "stopping during a retry") -> decltype(op()) {
  std::optional<Retry> retry;
  for (;;) {
    try {
      return op();
    } catch (const E& e) {
      if (!retryable(e)) throw;
      if (!retry) retry.emplace(make_retry());
      const auto verdict =
          retry->AfterFailure([&](std::chrono::milliseconds delay) { on_retry(e, delay); });
      if (verdict == Retry::Verdict::kGiveUp) throw;
      if (verdict == Retry::Verdict::kStopped) throw Abandoned(stopped_reason);
    }
  }
}

}  // namespace dcp::runtime
