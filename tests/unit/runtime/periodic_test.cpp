#include "runtime/periodic.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>

namespace dcp::runtime {
namespace {

using std::chrono::milliseconds;

// Counts ticks; lets the test wait for a number of them.
struct Ticks {
  void Add() {
    {
      std::lock_guard lock(mutex);
      ++count;
    }
    cv.notify_all();
  }
  bool WaitFor(int n) {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, std::chrono::seconds(10), [&] { return count >= n; });
  }
  std::mutex mutex;
  std::condition_variable cv;
  int count = 0;
};

TEST(Periodic, TicksUntilStoppedThenRunsLastOnce) {
  Ticks ticks;
  std::atomic<int> lasts{0};
  std::atomic<int> ticks_after_last{0};
  Periodic periodic(
      "test", milliseconds(1),
      [&](Stopper&) {
        if (lasts > 0) ++ticks_after_last;
        ticks.Add();
      },
      [&] { ++lasts; });
  periodic.Start();
  ASSERT_TRUE(ticks.WaitFor(3));
  periodic.Stop();
  periodic.Stop();  // idempotent
  EXPECT_EQ(lasts, 1);
  EXPECT_EQ(ticks_after_last, 0);
}

TEST(Periodic, AThrowingTickIsRetriedAtTheNextTick) {
  Ticks ticks;
  Periodic periodic("test", milliseconds(1), [&](Stopper&) {
    ticks.Add();
    throw std::runtime_error("database unavailable");
  });
  periodic.Start();
  EXPECT_TRUE(ticks.WaitFor(3));
}

TEST(Periodic, StopEndsAWaitInsideATick) {
  Ticks ticks;
  std::atomic<bool> woke_early{false};
  Periodic periodic("test", std::chrono::hours(1), [&](Stopper& stopper) {
    ticks.Add();
    woke_early = !stopper.WaitFor(std::chrono::hours(1));
  });
  periodic.Start();
  ASSERT_TRUE(ticks.WaitFor(1));
  periodic.Stop();  // returns only because the tick's wait ends
  EXPECT_TRUE(woke_early);
}

}  // namespace
}  // namespace dcp::runtime
