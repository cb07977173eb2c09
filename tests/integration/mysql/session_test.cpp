#include "mysql/session.hpp"

#include <gtest/gtest.h>

#include "mysql/transaction.hpp"
#include "ports/errors.hpp"
#include "test_database.hpp"

namespace dcp::mysql {
namespace {

using testing::DatabaseTest;
using SessionTest = DatabaseTest;

TEST(Session, UnreachableServerNamesHostPortButNotPassword) {
  MysqlUrl url = MysqlUrl::Parse("mysql://dcp:s3cret-pw@127.0.0.1:1/dcp").value();
  Session session(url);
  try {
    session.Execute("SELECT 1");
    FAIL() << "expected DbError";
  } catch (const DbError& e) {
    const std::string what = e.what();
    EXPECT_TRUE(e.transient());
    EXPECT_NE(what.find("127.0.0.1:1"), std::string::npos) << what;
    EXPECT_EQ(what.find("s3cret-pw"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
  EXPECT_FALSE(session.connected());
  try {
    session.max_allowed_packet();  // connects too: fails the same way
    FAIL() << "expected DbError";
  } catch (const DbError& e) {
    EXPECT_TRUE(e.transient()) << e.what();
  }
}

TEST_F(SessionTest, KilledConnectionIsTransientAndTheNextCallReconnects) {
  const std::int64_t id = session().QueryInt("SELECT CONNECTION_ID()").value();
  const auto generation = session().generation();
  NewSession()->Execute("KILL " + std::to_string(id));
  try {
    session().QueryInt("SELECT 1");
    FAIL() << "expected DbError";
  } catch (const DbError& e) {
    EXPECT_TRUE(e.transient()) << e.what();
  }
  EXPECT_EQ(session().QueryInt("SELECT 1"), 1);
  EXPECT_NE(session().QueryInt("SELECT CONNECTION_ID()"), id);
  EXPECT_GT(session().generation(), generation);
}

TEST_F(SessionTest, SqlErrorIsPermanentAndKeepsTheConnection) {
  const auto generation = session().generation();
  try {
    session().Execute("SELEKT 1");
    FAIL() << "expected DbError";
  } catch (const DbError& e) {
    EXPECT_FALSE(e.transient());
    EXPECT_NE(std::string(e.what()).find("[1064]"), std::string::npos) << e.what();
  }
  EXPECT_EQ(session().QueryInt("SELECT 1"), 1);
  EXPECT_EQ(session().generation(), generation);
}

// Issue 11: the server answers a too big packet with 1153 and closes the
// connection, often before the error can be read (then: "server has gone
// away", which looks like an outage and was retried for ever). The session
// refuses such a statement before sending it, as data (never retried).
TEST_F(SessionTest, AStatementOverMaxAllowedPacketIsRefusedAsDataBeforeItIsSent) {
  const std::size_t packet = session().max_allowed_packet();
  ASSERT_GE(packet, 1024U * 1024U);
  session().Execute("CREATE TABLE big (body LONGTEXT)");
  const auto generation = session().generation();
  const std::string body(packet, 'x');
  for (const bool inline_form : {false, true}) {
    SCOPED_TRACE(inline_form);
    try {
      const std::string sql = "INSERT INTO big (body) VALUES (?)";
      inline_form ? session().ExecuteInline(sql, {body}) : session().Execute(sql, {body});
      FAIL() << "expected DbError";
    } catch (const DbError& e) {
      EXPECT_EQ(e.kind(), DbErrorKind::kData) << e.what();
      EXPECT_NE(std::string(e.what()).find("max_allowed_packet"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(session().generation(), generation);  // nothing was sent: the connection stays
  EXPECT_EQ(session().Execute("INSERT INTO big (body) VALUES (?)", {std::string(1000, 'y')}), 1U);
}

TEST_F(SessionTest, DataTheColumnCannotHoldIsRefusedAsData) {
  session().Execute("CREATE TABLE small (name VARCHAR(4) CHARACTER SET utf8mb4)");
  for (const std::string& value : {std::string("too long"), std::string("\xff\xfe")}) {
    try {
      session().Execute("INSERT INTO small (name) VALUES (?)", {value});
      FAIL() << "expected DbError for " << value;
    } catch (const DbError& e) {
      EXPECT_EQ(e.kind(), DbErrorKind::kData) << e.what();
    }
  }
}

TEST_F(SessionTest, ParametersAreValuesNotSql) {
  const std::string evil = "'; DROP TABLE run_process; --";
  EXPECT_EQ(session().QueryString("SELECT ?", {evil}), evil);
  EXPECT_EQ(session().QueryInt("SELECT ? + 1", {Value{std::int64_t{41}}}), 42);
  EXPECT_EQ(session().QueryString("SELECT ?", {Value{nullptr}}), std::nullopt);
}

TEST_F(SessionTest, TimestampsAreUtc) {
  EXPECT_EQ(session().QueryString("SELECT @@session.time_zone"), "+00:00");
}

TEST_F(SessionTest, TransactionRollsBackWhenNotCommitted) {
  try {
    Transaction tx(session());
    session().Execute(
        "INSERT INTO run_context (run_id, time_zone, topology) VALUES ('r', 'UTC', '{}')");
    throw std::runtime_error("boom");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(Int("SELECT COUNT(*) FROM run_context"), 0);
  {
    Transaction tx(session());
    session().Execute(
        "INSERT INTO run_context (run_id, time_zone, topology) VALUES ('r', 'UTC', '{}')");
    tx.Commit();
  }
  EXPECT_EQ(Int("SELECT COUNT(*) FROM run_context"), 1);
}

TEST_F(SessionTest, RunTransactionRetriesTransientFailuresOnALiveConnection) {
  int calls = 0;
  const int result = RunTransaction(session(), [&](Session& s) {
    s.Execute("INSERT INTO run_context (run_id, time_zone, topology) VALUES (?, 'UTC', '{}')",
              {"r" + std::to_string(calls)});
    if (++calls < 2) throw DbError("deadlock", true);
    return calls;
  });
  EXPECT_EQ(result, 2);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM run_context"), 1);  // the first try was rolled back
  EXPECT_THROW(RunTransaction(session(), [](Session&) -> int { throw DbError("bad", false); }),
               DbError);
}

TEST_F(SessionTest, StreamReadsEveryRow) {
  std::int64_t sum = 0;
  int rows = 0;
  session().Stream(
      "SELECT seq FROM (WITH RECURSIVE n(seq) AS (SELECT 1 UNION ALL SELECT seq + 1 FROM n "
      "WHERE seq < ?) SELECT seq FROM n) t",
      {Value{std::int64_t{900}}}, [&](const Row& r) {
        sum += r.Int(0);
        ++rows;
      });
  EXPECT_EQ(rows, 900);
  EXPECT_EQ(sum, std::int64_t{900} * 901 / 2);
}

}  // namespace
}  // namespace dcp::mysql
