#include "mysql/lease_lock.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <thread>

#include "mysql/lease_keeper.hpp"
#include "test_database.hpp"

namespace dcp::mysql {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using LeaseLockTest = testing::DatabaseTest;

constexpr milliseconds kNoWait{0};

// Polls `state` until it holds or `within` has passed: waiting on a state,
// with a deadline. True if it held.
bool Eventually(const std::function<bool()>& state, milliseconds within = seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  while (!state()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return true;
}

class LeaseLockTwoHolders : public LeaseLockTest {
 protected:
  void SetUp() override {
    LeaseLockTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    other_session_ = NewSession();
  }
  // The lock's lease ended a second ago, as if its holder had stopped
  // renewing it (taken an hour ago).
  void Expire(const std::string& name) {
    session().Execute(
        "UPDATE dcp_lock SET acquired_at = NOW(6) - INTERVAL 1 HOUR, "
        "expires_at = NOW(6) - INTERVAL 1 SECOND WHERE name = ?",
        {name});
  }
  std::optional<std::string> OwnerOf(const std::string& name) {
    return Str("SELECT owner FROM dcp_lock WHERE name = ?", {name});
  }
  std::unique_ptr<Session> other_session_;
};

TEST_F(LeaseLockTwoHolders, ALiveLeaseIsNotTakenOver) {
  LeaseLock mine(session(), "run", seconds(30));
  LeaseLock other(*other_session_, "run", seconds(30));
  ASSERT_TRUE(mine.Acquire(kNoWait));
  EXPECT_TRUE(mine.held());
  EXPECT_TRUE(mine.Acquire(kNoWait));  // idempotent for its holder
  EXPECT_FALSE(other.Acquire(kNoWait));
  EXPECT_FALSE(other.Acquire(milliseconds(300)));  // waits, in vain
  EXPECT_FALSE(other.held());
  EXPECT_EQ(OwnerOf("run"), mine.owner());
  EXPECT_EQ(Int("SELECT expires_at > NOW(6) + INTERVAL 25 SECOND FROM dcp_lock"), 1);
  mine.Release();
  EXPECT_FALSE(mine.held());
  EXPECT_FALSE(OwnerOf("run"));
  EXPECT_TRUE(other.Acquire(kNoWait));
}

TEST_F(LeaseLockTwoHolders, LocksOfOtherNamesAreApart) {
  LeaseLock run(session(), "run", seconds(30));
  LeaseLock forecast(*other_session_, "run.forecast", seconds(30));
  EXPECT_TRUE(run.Acquire(kNoWait));
  EXPECT_TRUE(forecast.Acquire(kNoWait));
}

TEST_F(LeaseLockTwoHolders, AnExpiredLeaseIsTakenOverAndItsHolderCannotRenewIt) {
  LeaseLock dead(session(), "run", seconds(30));
  LeaseLock next(*other_session_, "run", seconds(30));
  ASSERT_TRUE(dead.Acquire(kNoWait));
  EXPECT_FALSE(next.Acquire(kNoWait));
  Expire("run");
  ASSERT_TRUE(next.Acquire(kNoWait));
  EXPECT_EQ(OwnerOf("run"), next.owner());
  EXPECT_EQ(Int("SELECT acquired_at > NOW(6) - INTERVAL 10 SECOND FROM dcp_lock"), 1);
  EXPECT_TRUE(dead.held());  // it cannot know before it asks...
  EXPECT_FALSE(dead.Renew());
  EXPECT_FALSE(dead.held());  // ...and then it knows
  EXPECT_FALSE(dead.Renew());
  EXPECT_EQ(OwnerOf("run"), next.owner());
  EXPECT_TRUE(next.Renew());
}

TEST_F(LeaseLockTwoHolders, RenewExtendsTheLeaseOnTheDatabasesClock) {
  LeaseLock lock(session(), "run", seconds(30));
  ASSERT_TRUE(lock.Acquire(kNoWait));
  session().Execute("UPDATE dcp_lock SET expires_at = NOW(6) + INTERVAL 1 SECOND");
  ASSERT_TRUE(lock.Renew());
  EXPECT_EQ(Int("SELECT expires_at > NOW(6) + INTERVAL 25 SECOND FROM dcp_lock"), 1);
}

TEST_F(LeaseLockTwoHolders, ReleaseByAHolderWhoseLeaseWasTakenOverDeletesNothing) {
  LeaseLock dead(session(), "run", seconds(30));
  LeaseLock next(*other_session_, "run", seconds(30));
  ASSERT_TRUE(dead.Acquire(kNoWait));
  Expire("run");
  ASSERT_TRUE(next.Acquire(kNoWait));
  dead.Release();
  EXPECT_EQ(OwnerOf("run"), next.owner());
  next.Release();
  EXPECT_FALSE(OwnerOf("run"));
}

// A holder that stops renewing (it hangs, or died) loses the lock when its
// lease ends; a waiter takes it then, not before.
TEST_F(LeaseLockTwoHolders, AShortLeaseEndsByItselfAndAWaiterTakesIt) {
  LeaseLock silent(session(), "run", seconds(2));
  LeaseLock waiter(*other_session_, "run", seconds(30));
  ASSERT_TRUE(silent.Acquire(kNoWait));
  const auto ended = Str("SELECT expires_at FROM dcp_lock");
  ASSERT_FALSE(waiter.Acquire(kNoWait));
  ASSERT_TRUE(waiter.Acquire(seconds(20)));
  EXPECT_EQ(Int("SELECT acquired_at >= ? FROM dcp_lock", {*ended}), 1);
  EXPECT_EQ(OwnerOf("run"), waiter.owner());
  EXPECT_FALSE(silent.held());  // two thirds of its lease have long passed
  EXPECT_FALSE(silent.Renew());
}

// The keeper renews through a connection of its own: the lease outlives
// its length, and the holder's own connection, while the keeper runs.
TEST_F(LeaseLockTwoHolders, AKeptLeaseOutlivesItsLength) {
  LeaseLock lock(session(), "run", seconds(3));
  LeaseLock other(*other_session_, "run", seconds(30));
  ASSERT_TRUE(lock.Acquire(kNoWait));
  const auto first_end = Str("SELECT expires_at FROM dcp_lock");
  {
    LeaseKeeper keeper(lock, MysqlNodes{url_});
    session().Disconnect();
    // Well past the first lease, on the database's clock.
    ASSERT_TRUE(Eventually([&] {
      return other_session_->QueryInt("SELECT NOW(6) > ? + INTERVAL 3 SECOND", {*first_end}) == 1;
    }));
    EXPECT_TRUE(lock.held());
    EXPECT_FALSE(other.Acquire(kNoWait));
    EXPECT_EQ(OwnerOf("run"), lock.owner());
  }
  // Not renewed any more: it ends by itself.
  EXPECT_TRUE(other.Acquire(seconds(20)));
  EXPECT_FALSE(lock.held());
}

// Another holder took the lock over (its lease had expired, say while the
// keeper could not reach the database): the keeper's next renewal finds
// out, and the holder sees it.
TEST_F(LeaseLockTwoHolders, AKeeperFindsItsLeaseTakenOver) {
  LeaseLock lock(session(), "run", seconds(3));
  ASSERT_TRUE(lock.Acquire(kNoWait));
  LeaseKeeper keeper(lock, MysqlNodes{url_});
  session().Execute("UPDATE dcp_lock SET owner = 'next' WHERE name = 'run'");
  EXPECT_TRUE(Eventually([&] { return !lock.held(); }));
  EXPECT_EQ(OwnerOf("run"), "next");
}

}  // namespace
}  // namespace dcp::mysql
