#pragma once
// Retries a database operation while the database is unavailable, with a
// growing delay, so that a worker never acks what it could not record and
// never crash-loops on an outage. A thin wrapper over Retry (retry.hpp)
// that classifies DbError (ports/errors.hpp, DbErrorKind): transient ones
// (unavailable, conflict) are retried without limit, kData is rethrown at
// once (the same data fails the same way), kOther after a few tries.
#include <chrono>
#include <functional>
#include <string>

#include "ports/errors.hpp"
#include "runtime/retry.hpp"
#include "runtime/stopper.hpp"

namespace dcp::runtime {

struct RetrySettings {
  std::chrono::milliseconds first_delay{200};  // doubled after each failure...
  std::chrono::milliseconds max_delay{30000};  // ...up to this
  int max_permanent_failures = 3;              // a kOther error is rethrown after this many tries
};

// `on_failure(error, delay)` is told of each failure that is retried (for
// logging). Throws Abandoned if `stopper` stops during a wait.
class DbRetry {
 public:
  using FailureHook = std::function<void(const DbError&, std::chrono::milliseconds)>;
  DbRetry(Stopper& stopper, RetrySettings settings, FailureHook on_failure = {})
      : stopper_(stopper), settings_(settings), on_failure_(std::move(on_failure)) {}

  template <class F>
  auto operator()(F&& op) -> decltype(op()) {
    int permanent_failures = 0;
    return RetryOn<DbError>(
        [this] {
          return Retry(BackoffPolicy{settings_.first_delay, settings_.max_delay}, stopper_);
        },
        op,
        [&](const DbError& e) {
          if (e.transient()) return true;
          return e.kind() == DbErrorKind::kOther &&
                 ++permanent_failures < settings_.max_permanent_failures;
        },
        [this](const DbError& e, std::chrono::milliseconds delay) {
          if (on_failure_) on_failure_(e, delay);
        },
        "stopping during a database outage");
  }

 private:
  Stopper& stopper_;
  RetrySettings settings_;
  FailureHook on_failure_;
};

}  // namespace dcp::runtime
