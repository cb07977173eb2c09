// A database given as several nodes: a session connects to the first that
// answers and, once its node fails, moves to the next. Each "node" is a
// TcpRelay to the one test server, so a node can die (Cut) while the
// server lives on.
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "mysql/lease_keeper.hpp"
#include "mysql/lease_lock.hpp"
#include "mysql/session.hpp"
#include "ports/errors.hpp"
#include "support/tcp_relay.hpp"
#include "test_database.hpp"

namespace dcp::mysql {
namespace {

using ::dcp::testing::TcpRelay;

class Counting final : public SessionObserver {
 public:
  void Connected(const MysqlUrl& node) override { connected += node.Endpoint() + " "; }
  void Disconnected(const MysqlUrl& node) override { disconnected += node.Endpoint() + " "; }
  std::string connected;
  std::string disconnected;
};

class DatabaseFailoverTest : public testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (url_.host.empty()) return;
    for (auto& relay : relays_) relay = std::make_unique<TcpRelay>(url_.port);
    SetSessionObserver(&observer_);
  }
  void TearDown() override {
    SetSessionObserver(nullptr);
    DatabaseTest::TearDown();
  }
  MysqlUrl Node(int i) const {
    MysqlUrl url = url_;
    url.host = "127.0.0.1";
    url.port = relays_[static_cast<std::size_t>(i)]->port();
    return url;
  }

  std::array<std::unique_ptr<TcpRelay>, 2> relays_;
  Counting observer_;
};

TEST_F(DatabaseFailoverTest, ASessionSkipsANodeThatDoesNotAnswer) {
  MysqlUrl dead = Node(0);
  dead.port = 1;
  Session session(MysqlNodes{dead, Node(1)});
  EXPECT_EQ(session.QueryInt("SELECT 1"), 1);
  EXPECT_EQ(session.url().Endpoint(), Node(1).Endpoint());
  EXPECT_EQ(observer_.connected, Node(1).Endpoint() + " ");
}

TEST_F(DatabaseFailoverTest, ASessionWhoseNodeDiesMovesToTheNext) {
  Session session(MysqlNodes{Node(0), Node(1)});
  EXPECT_EQ(session.QueryInt("SELECT 1"), 1);
  EXPECT_EQ(session.url().Endpoint(), Node(0).Endpoint());

  relays_[0]->Cut();
  // The statement that finds the node dead fails, transient (its fate may be
  // unknown: the caller decides); the next one runs on the second node.
  try {
    session.QueryInt("SELECT 2");
    FAIL() << "expected DbError";
  } catch (const DbError& e) {
    EXPECT_TRUE(e.transient()) << e.what();
    EXPECT_NE(std::string(e.what()).find(Node(0).Endpoint()), std::string::npos) << e.what();
  }
  EXPECT_EQ(session.QueryInt("SELECT 3"), 3);
  EXPECT_EQ(session.url().Endpoint(), Node(1).Endpoint());
  EXPECT_EQ(relays_[1]->accepted(), 1);
  EXPECT_EQ(observer_.connected, Node(0).Endpoint() + " " + Node(1).Endpoint() + " ");
  EXPECT_EQ(observer_.disconnected, Node(0).Endpoint() + " ");
}

TEST_F(DatabaseFailoverTest, ASessionWhoseConnectionIsLostMovesOnEvenIfItsNodeStillAnswers) {
  Session session(MysqlNodes{Node(0), Node(1)});
  EXPECT_EQ(session.QueryInt("SELECT 1"), 1);
  relays_[0]->Reset();
  EXPECT_THROW(session.QueryInt("SELECT 2"), DbError);
  EXPECT_EQ(session.QueryInt("SELECT 3"), 3);
  EXPECT_EQ(session.url().Endpoint(), Node(1).Endpoint());
  EXPECT_EQ(relays_[0]->accepted(), 1) << "went back to the node it lost";
}

TEST_F(DatabaseFailoverTest, NoNodeAnsweringNamesEachWithoutAPassword) {
  MysqlUrl first = Node(0);
  first.port = 1;
  first.password = "s3cret-pw";
  MysqlUrl second = first;
  second.port = 2;
  Session session(MysqlNodes{first, second});
  try {
    session.Execute("SELECT 1");
    FAIL() << "expected DbError";
  } catch (const DbError& e) {
    const std::string what = e.what();
    EXPECT_TRUE(e.transient()) << what;
    EXPECT_NE(what.find("127.0.0.1:1"), std::string::npos) << what;
    EXPECT_NE(what.find("127.0.0.1:2"), std::string::npos) << what;
    EXPECT_EQ(what.find("s3cret-pw"), std::string::npos) << what;
  }
  EXPECT_TRUE(observer_.connected.empty());
}

// The run lock's keeper renews through the holder's node list: when its
// node dies, the next renewal goes to the next node, and the lease lives on
// (before, the keeper had the node in use only, and the leader lost its run
// lock, exit 8, with every Galera node but one still up).
TEST_F(DatabaseFailoverTest, ALeaseKeeperRenewsThroughTheNextNodeWhenItsNodeDies) {
  using std::chrono::seconds;
  Session holder(MysqlNodes{Node(0), Node(1)});
  Session other(url_);
  LeaseLock lock(holder, "run", seconds(3));
  LeaseLock rival(other, "run", seconds(30));
  ASSERT_TRUE(lock.Acquire(std::chrono::milliseconds(0)));
  const auto wait_for = [](const std::function<bool()>& state) {
    const auto deadline = std::chrono::steady_clock::now() + seconds(20);
    while (!state()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
  };
  LeaseKeeper keeper(lock, holder.NodesFromCurrent());
  // The keeper's own connection to node 0 (the holder's is the first).
  ASSERT_TRUE(wait_for([&] { return relays_[0]->accepted() >= 2; }));
  relays_[0]->Cut();
  const auto cut_at = other.QueryString("SELECT NOW(6)");
  // Well past a whole lease after the cut, on the database's clock.
  ASSERT_TRUE(wait_for(
      [&] { return other.QueryInt("SELECT NOW(6) > ? + INTERVAL 4 SECOND", {*cut_at}) == 1; }));
  EXPECT_TRUE(lock.held());
  EXPECT_FALSE(rival.Acquire(std::chrono::milliseconds(0)));
  EXPECT_GE(relays_[1]->accepted(), 1) << "the keeper never tried the next node";
}

}  // namespace
}  // namespace dcp::mysql
