#pragma once
// The one way a thread hands values to a libev loop: Post() from any thread
// queues a value and wakes the loop (ev_async); on the loop thread the
// handler then receives every value queued since its last call, in order,
// as one batch. Wake-ups coalesce: a burst of posts costs one handler call.
//
// Threading: Post and PostAll are thread-safe. The constructor, Start, Stop
// and the destructor run on the loop thread (or before the loop runs); the
// handler runs on the loop thread, from the loop. The loop must outlive
// the mailbox.
#include <ev.h>

#include <deque>
#include <functional>
#include <utility>

#include "runtime/mutex.hpp"

namespace dcp::runtime {

template <class T>
class LoopMailbox {
 public:
  // `batch` is the mailbox's own buffer: the handler may move the values
  // out of it; it is cleared after the handler returns.
  using Handler = std::function<void(std::deque<T>& batch)>;

  LoopMailbox(struct ev_loop* loop, Handler handler) : loop_(loop), handler_(std::move(handler)) {
    ev_async_init(&async_, &LoopMailbox::OnAsync);
    async_.data = this;
  }
  ~LoopMailbox() { Stop(); }
  LoopMailbox(const LoopMailbox&) = delete;
  LoopMailbox& operator=(const LoopMailbox&) = delete;

  // Values posted before Start() are handled once the loop runs after it.
  // An active mailbox keeps ev_run from returning on its own.
  void Start() {
    ev_async_start(loop_, &async_);
    ev_async_send(loop_, &async_);  // what was posted before, if anything
  }
  // Values still queued stay queued (and are dropped with the mailbox).
  void Stop() { ev_async_stop(loop_, &async_); }

  void Post(T value) {
    {
      MutexLock lock(mutex_);
      queued_.push_back(std::move(value));
    }
    ev_async_send(loop_, &async_);
  }
  // Posts every value of `values` (moved from) under one lock and one wake.
  template <class Range>
  void PostAll(Range& values) {
    {
      MutexLock lock(mutex_);
      for (auto& value : values) queued_.push_back(std::move(value));
    }
    ev_async_send(loop_, &async_);
  }

 private:
  static void OnAsync(struct ev_loop*, ev_async* watcher, int) {
    auto* self = static_cast<LoopMailbox*>(watcher->data);
    {
      MutexLock lock(self->mutex_);
      self->batch_.swap(self->queued_);
    }
    if (self->batch_.empty()) return;
    self->handler_(self->batch_);
    self->batch_.clear();
  }

  struct ev_loop* loop_;
  Handler handler_;
  ev_async async_{};
  Mutex mutex_;
  std::deque<T> queued_ DCP_GUARDED_BY(mutex_);
  std::deque<T> batch_;  // loop thread only: the batch being handled
};

}  // namespace dcp::runtime
