#pragma once
// Retries a database operation while the database is unavailable, with a
// growing delay, so that a worker never acks what it could not record and
// never crash-loops on an outage.
#include <algorithm>
#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>

#include "ports/errors.hpp"
#include "runtime/stopper.hpp"

namespace dcp::runtime {

// Thrown when the process was asked to stop during the wait: the message is
// then neither acked nor rejected, and returns to the queue with the
// connection.
class Abandoned : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct RetrySettings {
  std::chrono::milliseconds first_delay{200};  // doubled after each failure...
  std::chrono::milliseconds max_delay{30000};  // ...up to this
  int max_permanent_failures = 3;  // a non-transient error is rethrown after this many tries
};

// `on_failure(error, delay)` is told of each failure (for logging).
class DbRetry {
 public:
  using FailureHook = std::function<void(const DbError&, std::chrono::milliseconds)>;
  DbRetry(Stopper& stopper, RetrySettings settings, FailureHook on_failure = {})
      : stopper_(stopper), settings_(settings), on_failure_(std::move(on_failure)) {}

  template <class F>
  auto operator()(F&& op) -> decltype(op()) {
    auto delay = settings_.first_delay;
    int permanent_failures = 0;
    for (;;) {
      try {
        return op();
      } catch (const DbError& e) {
        if (!e.transient() && ++permanent_failures >= settings_.max_permanent_failures) throw;
        if (on_failure_) on_failure_(e, delay);
        if (!stopper_.WaitFor(delay)) throw Abandoned("stopping during a database outage");
        delay = std::min(delay * 2, settings_.max_delay);
      }
    }
  }

 private:
  Stopper& stopper_;
  RetrySettings settings_;
  FailureHook on_failure_;
};

}  // namespace dcp::runtime
