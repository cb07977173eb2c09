#pragma once
// A stop flag that sleepers can wait on: backoff waits end early when the
// process is asked to stop. Thread-safe.
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace dcp::runtime {

class Stopper {
 public:
  void Stop() {
    {
      std::lock_guard lock(mutex_);
      stopped_ = true;
    }
    cv_.notify_all();
  }
  bool stopped() const {
    std::lock_guard lock(mutex_);
    return stopped_;
  }
  // Waits `d` unless stopped first. Returns false if stopped.
  bool WaitFor(std::chrono::milliseconds d) {
    std::unique_lock lock(mutex_);
    return !cv_.wait_for(lock, d, [this] { return stopped_; });
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool stopped_ = false;
};

}  // namespace dcp::runtime
