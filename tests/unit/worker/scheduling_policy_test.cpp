#include "worker/scheduling_policy.hpp"

#include <gtest/gtest.h>

namespace dcp::worker {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// A policy with both times measured once (smoothing starts at the first).
SchedulingPolicy Measured(int concurrency, std::size_t prefetch, milliseconds window,
                          milliseconds task, milliseconds round) {
  SchedulingPolicy policy(concurrency, prefetch, window);
  policy.TaskComputed(task);
  policy.RoundRecorded(round);
  return policy;
}

TEST(SchedulingPolicy, StartsATaskForEachIdleThread) {
  const SchedulingPolicy policy(4, 8, milliseconds(250));  // nothing measured: no lookahead
  EXPECT_EQ(policy.ReadyTarget(3), 3U);
  EXPECT_TRUE(policy.StartDue({.incoming = 5, .ready = 0, .idle_threads = 3}));
  EXPECT_TRUE(policy.StartDue({.incoming = 5, .ready = 2, .idle_threads = 3}));
  EXPECT_FALSE(policy.StartDue({.incoming = 5, .ready = 3, .idle_threads = 3}));
  EXPECT_FALSE(policy.StartDue({.incoming = 5, .ready = 0, .idle_threads = 0}));
}

TEST(SchedulingPolicy, StartsNothingWhenNothingIsDelivered) {
  const SchedulingPolicy policy(4, 8, milliseconds(250));
  EXPECT_FALSE(policy.StartDue({.incoming = 0, .ready = 0, .idle_threads = 4}));
}

TEST(SchedulingPolicy, LooksAheadFromMeasuredTimes) {
  struct Case {
    const char* what;
    int concurrency;
    std::size_t prefetch;
    milliseconds task, round;
    std::size_t lookahead;
  };
  const Case cases[] = {
      {"the tasks 4 threads reach in the window", 4, 256, milliseconds(10), milliseconds(5), 100},
      {"the round, when longer than the window", 2, 256, milliseconds(100), milliseconds(500), 10},
      {"none for tasks longer than the window", 2, 256, milliseconds(1000), milliseconds(5), 0},
      {"at most the prefetch", 4, 8, milliseconds(10), milliseconds(5), 8},
  };
  for (const Case& c : cases) {
    const auto policy = Measured(c.concurrency, c.prefetch, milliseconds(250), c.task, c.round);
    EXPECT_EQ(policy.Lookahead(), c.lookahead) << c.what;
  }
}

TEST(SchedulingPolicy, NoLookaheadUntilBothTimesAreKnown) {
  SchedulingPolicy policy(4, 256, milliseconds(250));
  policy.TaskComputed(milliseconds(10));
  EXPECT_EQ(policy.Lookahead(), 0U);
  SchedulingPolicy rounds_only(4, 256, milliseconds(250));
  rounds_only.RoundRecorded(milliseconds(10));
  EXPECT_EQ(rounds_only.Lookahead(), 0U);
}

TEST(SchedulingPolicy, ReadyTargetIsAtMostThePrefetch) {
  const auto policy = Measured(4, 8, milliseconds(250), milliseconds(10), milliseconds(5));
  EXPECT_EQ(policy.ReadyTarget(0), 8U);
  EXPECT_EQ(policy.ReadyTarget(5), 8U);
  EXPECT_EQ(SchedulingPolicy(4, 8, milliseconds(250)).ReadyTarget(20), 8U);
  EXPECT_EQ(SchedulingPolicy(4, 0, milliseconds(250)).ReadyTarget(3), 1U);  // prefetch 0: 1
}

TEST(SchedulingPolicy, RefillsAtHalfTheTarget) {
  // Lookahead 10, no thread idle: started tasks wait in ready; refill once
  // half of them are taken, so batches are of about half the target.
  const auto policy = Measured(2, 256, milliseconds(250), milliseconds(50), milliseconds(5));
  ASSERT_EQ(policy.ReadyTarget(0), 10U);
  EXPECT_FALSE(policy.StartDue({.incoming = 50, .ready = 6}));
  EXPECT_TRUE(policy.StartDue({.incoming = 50, .ready = 5}));
  EXPECT_TRUE(policy.StartDue({.incoming = 50, .ready = 0}));
  EXPECT_FALSE(policy.StartDue({.incoming = 50, .ready = 10}));
}

TEST(SchedulingPolicy, SmoothsTheMeasuredTimes) {
  SchedulingPolicy policy(1, 1, milliseconds(250));
  policy.TaskComputed(milliseconds(10));
  EXPECT_DOUBLE_EQ(policy.task_seconds(), 0.010);
  policy.TaskComputed(milliseconds(20));
  EXPECT_DOUBLE_EQ(policy.task_seconds(), 0.8 * 0.010 + 0.2 * 0.020);
  policy.RoundRecorded(milliseconds(4));
  EXPECT_DOUBLE_EQ(policy.round_seconds(), 0.004);
}

TEST(SchedulingPolicy, FinishIsDueAfterTheWindowAtHalfThePrefetchOrWhenNothingElseIsComing) {
  const SchedulingPolicy policy(2, 8, milliseconds(250));
  const Clock::time_point since{};
  const auto soon = since + milliseconds(100);
  const auto late = since + milliseconds(250);
  struct Case {
    const char* what;
    PipelineState state;
    Clock::time_point now;
    bool due;
  };
  const Case cases[] = {
      {"nothing finishing", {.incoming = 0, .ready = 0, .finishing = 0}, late, false},
      {"waiting within the window", {.incoming = 3, .ready = 0, .finishing = 1}, soon, false},
      {"the window has passed", {.incoming = 3, .ready = 0, .finishing = 1}, late, true},
      {"half the prefetch finishing", {.incoming = 3, .ready = 0, .finishing = 4}, soon, true},
      {"a few below half", {.incoming = 3, .ready = 0, .finishing = 3}, soon, false},
      {"nothing else is coming", {.incoming = 0, .ready = 0, .finishing = 1}, soon, true},
      {"tasks still ready", {.incoming = 0, .ready = 1, .finishing = 1}, soon, false},
  };
  for (Case c : cases) {
    c.state.finishing_since = since;
    EXPECT_EQ(policy.FinishDue(c.state, c.now), c.due) << c.what;
  }
  EXPECT_EQ(policy.FinishDeadline(since), late);
}

}  // namespace
}  // namespace dcp::worker
