// A database given as several nodes: a session connects to the first that
// answers and, once its node fails, moves to the next. Each "node" is a
// TcpRelay to the one test server, so a node can die (Cut) while the
// server lives on.
#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <string>

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

}  // namespace
}  // namespace dcp::mysql
