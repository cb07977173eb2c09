#pragma once
// A stop flag that sleepers can wait on: backoff waits end early when the
// process is asked to stop. Thread-safe.
#include <chrono>

#include "runtime/mutex.hpp"

namespace dcp::runtime {

class Stopper {
 public:
  void Stop() DCP_EXCLUDES(mutex_) {
    {
      MutexLock lock(mutex_);
      stopped_ = true;
    }
    cv_.NotifyAll();
  }
  bool stopped() const DCP_EXCLUDES(mutex_) {
    MutexLock lock(mutex_);
    return stopped_;
  }
  // Waits `d` unless stopped first. Returns false if stopped.
  bool WaitFor(std::chrono::milliseconds d) DCP_EXCLUDES(mutex_) {
    // A loop, not CondVar::WaitFor's predicate: the analysis cannot see that
    // a predicate runs with mutex_ held.
    const auto deadline = std::chrono::steady_clock::now() + d;
    MutexLock lock(mutex_);
    while (!stopped_) {
      if (!cv_.WaitUntil(mutex_, deadline)) return !stopped_;
    }
    return false;
  }

 private:
  mutable Mutex mutex_;
  CondVar cv_;
  bool stopped_ DCP_GUARDED_BY(mutex_) = false;
};

}  // namespace dcp::runtime
