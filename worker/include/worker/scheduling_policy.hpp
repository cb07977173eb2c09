#pragma once
// When the worker starts tasks and when it records finished ones: the
// policy behind its batching, with no threads and no clock (the caller
// passes `now` and the measured durations).
//
// Starting: the recorder starts a task for each idle pool thread plus those
// the busy threads will reach within the batch window (the lookahead, from
// the smoothed task and round times; none for tasks longer than the
// window), at most the prefetch. So STARTED means that this live worker is
// about to compute the task, and a crash costs an attempt only to those.
// Finishing: computed tasks wait at most a batch window to be recorded
// together, less when half the prefetch is waiting (the broker sends more
// only once they are acked) or when nothing else is coming.
//
// Not thread-safe: the worker holds it under its mutex.
#include <chrono>
#include <cstddef>

namespace dcp::worker {

// What the worker holds at one moment, as the policy sees it.
struct PipelineState {
  std::size_t incoming = 0;      // delivered, not started
  std::size_t ready = 0;         // started, waiting for a pool thread
  std::size_t finishing = 0;     // computed, waiting to be recorded
  std::size_t idle_threads = 0;  // pool threads waiting for a started task
  // When `finishing` was last empty (meaningful when finishing > 0).
  std::chrono::steady_clock::time_point finishing_since{};
};

class SchedulingPolicy {
 public:
  // `prefetch`: the unacked deliveries the worker holds (at least 1 is used).
  SchedulingPolicy(int concurrency, std::size_t prefetch, std::chrono::milliseconds batch_window);

  // A computation, or a recorder round, took `took` (smoothed).
  void TaskComputed(std::chrono::duration<double> took);
  void RoundRecorded(std::chrono::duration<double> took);

  // Started tasks the busy threads will reach within the window (or the
  // next round, if longer): 0 until both times are known, or for tasks
  // longer than that; at most the prefetch.
  std::size_t Lookahead() const;
  // Started tasks wanted waiting in `ready`.
  std::size_t ReadyTarget(std::size_t idle_threads) const;
  // The recorder should start tasks now: a thread is waiting for one, or
  // `ready` has fallen to half the target (so batches are of about half,
  // not of one).
  bool StartDue(const PipelineState& state) const;
  // The recorder should record the finished tasks now.
  bool FinishDue(const PipelineState& state, std::chrono::steady_clock::time_point now) const;
  // The latest moment to record tasks finishing since `finishing_since`.
  std::chrono::steady_clock::time_point FinishDeadline(
      std::chrono::steady_clock::time_point finishing_since) const {
    return finishing_since + batch_window_;
  }

  std::size_t prefetch() const { return max_ahead_; }
  // Smoothed seconds (0: none measured yet).
  double task_seconds() const { return task_seconds_; }
  double round_seconds() const { return round_seconds_; }

 private:
  int concurrency_;
  std::size_t max_ahead_;
  std::chrono::milliseconds batch_window_;
  double task_seconds_ = 0;
  double round_seconds_ = 0;
};

}  // namespace dcp::worker
