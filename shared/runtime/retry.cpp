#include "runtime/retry.hpp"

#include <thread>

namespace dcp::runtime {

Retry::Retry(BackoffPolicy policy, Wait wait, Now now)
    : backoff_(policy),
      wait_(std::move(wait)),
      now_(std::move(now)),
      started_(now_()),
      next_delay_(backoff_.Next()) {}

Retry::Retry(BackoffPolicy policy, Stopper& stopper)
    : Retry(policy, [&stopper](std::chrono::milliseconds d) { return stopper.WaitFor(d); }) {}

Retry::Verdict Retry::AfterFailure(
    const std::function<void(std::chrono::milliseconds)>& before_wait) {
  const BackoffPolicy& policy = backoff_.policy();
  ++attempts_;
  if (policy.max_attempts > 0 && attempts_ >= policy.max_attempts) return Verdict::kGiveUp;
  const auto delay = next_delay_;
  if (policy.deadline && now_() + delay > started_ + *policy.deadline) {
    return Verdict::kGiveUp;
  }
  if (before_wait) before_wait(delay);
  next_delay_ = backoff_.Next();
  return wait_(delay) ? Verdict::kTryAgain : Verdict::kStopped;
}

bool Retry::SleepFor(std::chrono::milliseconds delay) {
  std::this_thread::sleep_for(delay);
  return true;
}

}  // namespace dcp::runtime
