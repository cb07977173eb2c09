#pragma once
// A mutex whose use clang checks at compile time (-Wthread-safety, on in
// the clang presets): members written `T x_ DCP_GUARDED_BY(mutex_);` can
// only be touched with `mutex_` held, and a function marked
// `DCP_REQUIRES(mutex_)` only called so. libstdc++'s std::mutex carries no
// annotations, hence this wrapper; with other compilers the macros are
// empty and it is a plain std::mutex.
#include <condition_variable>
#include <mutex>

#if defined(__clang__)
#define DCP_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define DCP_THREAD_ANNOTATION(x)
#endif

#define DCP_CAPABILITY(x) DCP_THREAD_ANNOTATION(capability(x))
#define DCP_SCOPED_CAPABILITY DCP_THREAD_ANNOTATION(scoped_lockable)
#define DCP_GUARDED_BY(x) DCP_THREAD_ANNOTATION(guarded_by(x))
#define DCP_PT_GUARDED_BY(x) DCP_THREAD_ANNOTATION(pt_guarded_by(x))
#define DCP_REQUIRES(...) DCP_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define DCP_EXCLUDES(...) DCP_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define DCP_ACQUIRE(...) DCP_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define DCP_RELEASE(...) DCP_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define DCP_NO_THREAD_SAFETY_ANALYSIS DCP_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace dcp::runtime {

class DCP_CAPABILITY("mutex") Mutex {
 public:
  void lock() DCP_ACQUIRE() { mutex_.lock(); }
  void unlock() DCP_RELEASE() { mutex_.unlock(); }

 private:
  friend class CondVar;
  std::mutex mutex_;
};

// Holds `mutex` for its scope.
class DCP_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mutex) DCP_ACQUIRE(mutex) : mutex_(mutex) { mutex_.lock(); }
  ~MutexLock() DCP_RELEASE() { mutex_.unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mutex_;
};

// A condition variable for Mutex. Wait* must be called with `mutex` held
// (a MutexLock in scope); it is released while waiting and held again on
// return. No predicate overloads: the analysis cannot see that a predicate
// runs with the mutex held, so write the loop
// (`while (!ready_) cv_.Wait(mutex_);`), which it checks.
class CondVar {
 public:
  void NotifyOne() { cv_.notify_one(); }
  void NotifyAll() { cv_.notify_all(); }

  void Wait(Mutex& mutex) DCP_REQUIRES(mutex) {
    std::unique_lock lock(mutex.mutex_, std::adopt_lock);
    cv_.wait(lock);
    lock.release();
  }
  // False on timeout.
  template <class Clock, class Duration>
  bool WaitUntil(Mutex& mutex, std::chrono::time_point<Clock, Duration> deadline)
      DCP_REQUIRES(mutex) {
    std::unique_lock lock(mutex.mutex_, std::adopt_lock);
    const bool woken = cv_.wait_until(lock, deadline) == std::cv_status::no_timeout;
    lock.release();
    return woken;
  }

 private:
  std::condition_variable cv_;
};

}  // namespace dcp::runtime
