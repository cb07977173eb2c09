#include "runtime/retry.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "runtime/db_retry.hpp"

namespace dcp::runtime {
namespace {

using std::chrono::milliseconds;

// A clock that moves only when the retry waits, and the waits it saw.
struct FakeTime {
  Retry::Clock::time_point now{};
  std::vector<milliseconds> waits;
  bool stop_at_wait = false;

  Retry Make(BackoffPolicy policy) {
    return Retry(
        policy,
        [this](milliseconds d) {
          waits.push_back(d);
          now += d;
          return !stop_at_wait;
        },
        [this] { return now; });
  }
};

TEST(Retry, WaitsDoublingDelaysUpToTheCap) {
  FakeTime time;
  Retry retry = time.Make({milliseconds(100), milliseconds(500)});
  for (int i = 0; i < 5; ++i) ASSERT_EQ(retry.AfterFailure(), Retry::Verdict::kTryAgain);
  EXPECT_EQ(time.waits,
            (std::vector<milliseconds>{milliseconds(100), milliseconds(200), milliseconds(400),
                                       milliseconds(500), milliseconds(500)}));
}

TEST(Retry, GivesUpAfterMaxAttemptsWithoutWaitingAgain) {
  FakeTime time;
  BackoffPolicy policy{milliseconds(10), milliseconds(1000)};
  policy.max_attempts = 3;
  Retry retry = time.Make(policy);
  EXPECT_EQ(retry.AfterFailure(), Retry::Verdict::kTryAgain);
  EXPECT_EQ(retry.AfterFailure(), Retry::Verdict::kTryAgain);
  EXPECT_EQ(retry.AfterFailure(), Retry::Verdict::kGiveUp);
  EXPECT_EQ(time.waits.size(), 2u);
}

TEST(Retry, GivesUpWhenTheNextWaitWouldEndPastTheDeadline) {
  FakeTime time;
  BackoffPolicy policy{milliseconds(100), milliseconds(10'000)};
  policy.deadline = milliseconds(1000);
  Retry retry = time.Make(policy);
  // 100 + 200 + 400 = 700 ms; the next wait (800 ms) would end at 1500 ms.
  for (int i = 0; i < 3; ++i) ASSERT_EQ(retry.AfterFailure(), Retry::Verdict::kTryAgain);
  EXPECT_EQ(retry.AfterFailure(), Retry::Verdict::kGiveUp);
  EXPECT_EQ(time.waits.size(), 3u);
}

TEST(Retry, AZeroDeadlineMeansNoRetry) {
  FakeTime time;
  BackoffPolicy policy{milliseconds(100), milliseconds(10'000)};
  policy.deadline = milliseconds(0);
  Retry retry = time.Make(policy);
  EXPECT_EQ(retry.AfterFailure(), Retry::Verdict::kGiveUp);
  EXPECT_TRUE(time.waits.empty());
}

TEST(Retry, AStoppedWaitEndsTheRetry) {
  FakeTime time;
  time.stop_at_wait = true;
  Retry retry = time.Make({milliseconds(100), milliseconds(500)});
  EXPECT_EQ(retry.AfterFailure(), Retry::Verdict::kStopped);
}

TEST(Retry, TellsTheDelayBeforeWaiting) {
  FakeTime time;
  Retry retry = time.Make({milliseconds(100), milliseconds(500)});
  milliseconds told{0};
  (void)retry.AfterFailure([&](milliseconds d) {
    told = d;
    EXPECT_TRUE(time.waits.empty());
  });
  EXPECT_EQ(told, milliseconds(100));
}

TEST(RetryOn, RetriesTheAcceptedErrorsUntilTheCallSucceeds) {
  FakeTime time;
  int calls = 0, told = 0;
  const int result = RetryOn<std::runtime_error>(
      [&] {
        return time.Make({milliseconds(1), milliseconds(4)});
      },
      [&] {
        if (++calls < 4) throw std::runtime_error("not yet");
        return 42;
      },
      [](const std::runtime_error&) { return true; },
      [&](const std::runtime_error&, milliseconds) { ++told; });
  EXPECT_EQ(result, 42);
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(told, 3);
}

TEST(RetryOn, MakesNoRetryStateForACallThatSucceedsAtOnce) {
  int made = 0;
  const int result = RetryOn<std::runtime_error>(
      [&] {
        ++made;
        return Retry(BackoffPolicy{});
      },
      [] { return 7; }, [](const std::runtime_error&) { return true; },
      [](const std::runtime_error&, milliseconds) {});
  EXPECT_EQ(result, 7);
  EXPECT_EQ(made, 0);
}

TEST(RetryOn, RethrowsAnErrorItDoesNotAcceptAtOnce) {
  FakeTime time;
  int calls = 0;
  EXPECT_THROW(RetryOn<std::runtime_error>(
                   [&] {
                     return time.Make({milliseconds(1), milliseconds(4)});
                   },
                   [&]() -> int {
                     ++calls;
                     throw std::runtime_error("permanent");
                   },
                   [](const std::runtime_error&) { return false; },
                   [](const std::runtime_error&, milliseconds) {}),
               std::runtime_error);
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(time.waits.empty());
}

TEST(RetryOn, RethrowsTheLastErrorWhenThePolicyGivesUp) {
  FakeTime time;
  BackoffPolicy policy{milliseconds(1), milliseconds(4)};
  policy.max_attempts = 2;
  int calls = 0;
  try {
    RetryOn<std::runtime_error>(
        [&] { return time.Make(policy); },
        [&] { throw std::runtime_error("failure " + std::to_string(++calls)); },
        [](const std::runtime_error&) { return true; },
        [](const std::runtime_error&, milliseconds) {});
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "failure 2");
  }
}

TEST(DbRetry, RetriesTransientErrorsAndRethrowsPermanentOnesAfterTheirLimit) {
  Stopper stopper;
  std::vector<milliseconds> told;
  DbRetry retry(stopper, RetrySettings{milliseconds(1), milliseconds(2), 2},
                [&](const DbError&, milliseconds d) { told.push_back(d); });
  int calls = 0;
  EXPECT_EQ(retry([&] {
              if (++calls < 4) throw DbError("gone", /*transient=*/true);
              return calls;
            }),
            4);
  EXPECT_EQ(told, (std::vector<milliseconds>{milliseconds(1), milliseconds(2), milliseconds(2)}));
  calls = 0;
  EXPECT_THROW(retry([&]() -> int {
                 ++calls;
                 throw DbError("bad sql", /*transient=*/false);
               }),
               DbError);
  EXPECT_EQ(calls, 2);
}

TEST(DbRetry, RetriesConflictsAndNeverRetriesDataThatCannotBeWritten) {
  Stopper stopper;
  DbRetry retry(stopper, RetrySettings{milliseconds(1), milliseconds(2), 3});
  int calls = 0;
  EXPECT_EQ(retry([&] {
              if (++calls < 5) throw DbError("deadlock", DbErrorKind::kConflict);
              return calls;
            }),
            5);
  calls = 0;
  EXPECT_THROW(retry([&]() -> int {
                 ++calls;
                 throw DbError("packet too big", DbErrorKind::kData);
               }),
               DbError);
  EXPECT_EQ(calls, 1);
}

TEST(DbRetry, AbandonsWhenStopped) {
  Stopper stopper;
  stopper.Stop();
  DbRetry retry(stopper, RetrySettings{});
  EXPECT_THROW(retry([]() -> int { throw DbError("gone", true); }), Abandoned);
}

}  // namespace
}  // namespace dcp::runtime
