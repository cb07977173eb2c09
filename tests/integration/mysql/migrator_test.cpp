#include "mysql/migrator.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "mysql/driver.hpp"
#include "ports/errors.hpp"
#include "test_database.hpp"

namespace dcp::mysql {
namespace {

using testing::DatabaseTest;

class MigratorTest : public DatabaseTest {
 protected:
  // Back to an empty database: every table the migrations made.
  void DropEveryTable() {
    std::vector<std::string> tables;
    session().Query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()", {},
        [&](const Row& r) { tables.push_back(r.String(0)); });
    ASSERT_FALSE(tables.empty());
    for (const auto& table : tables) session().Execute("DROP TABLE `" + table + "`");
  }
};

constexpr Migration kExtra[] = {
    {1, "init", ""},
    {99, "add_note",
     "CREATE TABLE note (id INT PRIMARY KEY);\n"
     "INSERT IGNORE INTO schema_migrations VALUES (99, 'add_note', NOW(6));\n"},
};

TEST(SplitStatements, SplitsOnSemicolonAtEndOfLine) {
  const auto statements = SplitStatements(
      "-- header;\n"
      "CREATE TABLE t (\n  a INT -- no; split here\n);  \n"
      "\n-- between\n"
      "INSERT INTO t VALUES (1);\n"
      "-- trailing comment\n");
  ASSERT_EQ(statements.size(), 2u);
  EXPECT_NE(statements[0].find("CREATE TABLE t ("), std::string::npos);
  EXPECT_NE(statements[0].find("no; split here"), std::string::npos);
  EXPECT_EQ(statements[0].back(), ')');
  EXPECT_NE(statements[1].find("INSERT INTO t VALUES (1)"), std::string::npos);
}

TEST(SplitStatements, KeepsALastStatementWithoutSemicolon) {
  EXPECT_EQ(SplitStatements("SELECT 1;\nSELECT 2").size(), 2u);
}

TEST(EmbeddedMigrations, AreNumberedFromOneInOrder) {
  const auto migrations = EmbeddedMigrations();
  ASSERT_FALSE(migrations.empty());
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    EXPECT_EQ(migrations[i].version, static_cast<int>(i + 1));
    EXPECT_FALSE(SplitStatements(migrations[i].sql).empty());
  }
  EXPECT_EQ(migrations[0].name, "init");
}

TEST_F(MigratorTest, SecondRunAppliesNothing) {
  // SetUp migrated already.
  const auto again = Migrator().Migrate(session());
  EXPECT_TRUE(again.applied.empty());
  EXPECT_EQ(again.version, static_cast<int>(EmbeddedMigrations().size()));
  EXPECT_EQ(Int("SELECT COUNT(*) FROM schema_migrations"),
            static_cast<std::int64_t>(EmbeddedMigrations().size()));
  for (const char* table : {"run_process", "run", "run_context", "task_result"}) {
    EXPECT_EQ(Int("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() "
                  "AND table_name = ?",
                  {std::string(table)}),
              1)
        << table;
  }
}

TEST_F(MigratorTest, ConcurrentMigratesOfAnEmptyDatabaseApplyEachFileOnce) {
  DropEveryTable();
  MigrateResult results[2];
  std::thread threads[2];
  for (int i = 0; i < 2; ++i) {
    threads[i] = std::thread([&, i] {
      DriverThread driver_thread;
      auto s = NewSession();
      results[i] = Migrator().Migrate(*s);
    });
  }
  for (auto& t : threads) t.join();
  std::vector<int> all = results[0].applied;
  all.insert(all.end(), results[1].applied.begin(), results[1].applied.end());
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), EmbeddedMigrations().size());
  for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i], static_cast<int>(i + 1));
  EXPECT_TRUE(results[0].applied.empty() || results[1].applied.empty());
}

TEST_F(MigratorTest, AppliesOnlyPendingFilesInOrder) {
  const auto result = Migrator(kExtra).Migrate(session());
  EXPECT_EQ(result.applied, std::vector<int>{99});
  EXPECT_EQ(result.version, 99);
  EXPECT_TRUE(Migrator(kExtra).Migrate(session()).applied.empty());
}

// The very first migrate: no table at all, the lock table included. The
// migrate lock is there for it (made before the migrations), and released.
TEST_F(MigratorTest, TheMigrateLockWorksOnAnEmptyDatabase) {
  DropEveryTable();
  ASSERT_EQ(Int("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()"),
            0);
  const auto result = Migrator().Migrate(session());
  EXPECT_EQ(result.applied.size(), EmbeddedMigrations().size());
  EXPECT_EQ(Int("SELECT COUNT(*) FROM dcp_lock"), 0);  // released
  EXPECT_EQ(Int("SELECT COUNT(*) FROM schema_migrations WHERE name = 'lock'"), 1);
}

// Another migrate holds the lock (through any node: it is a row): this one
// waits, gives up after its wait, and goes ahead once the other's lease
// has ended.
TEST_F(MigratorTest, AMigrateWaitsForTheOneHoldingTheLock) {
  session().Execute(
      "INSERT INTO dcp_lock VALUES ('migrate', 'another', NOW(6), NOW(6) + INTERVAL 1 HOUR)");
  const MigratorOptions quick{std::chrono::milliseconds(300)};
  try {
    Migrator(kExtra, quick).Migrate(session());
    ADD_FAILURE() << "migrated while another held the lock";
  } catch (const DbError& e) {
    EXPECT_TRUE(e.transient());
    EXPECT_NE(std::string(e.what()).find("another migrate held the lock"), std::string::npos);
  }
  EXPECT_EQ(Int("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() "
                "AND table_name = 'note'"),
            0);
  session().Execute("UPDATE dcp_lock SET expires_at = NOW(6) - INTERVAL 1 SECOND");
  EXPECT_EQ(Migrator(kExtra, quick).Migrate(session()).applied, std::vector<int>{99});
}

// A migrate whose lease was taken over (it outran its lease) stops before
// its next statement; its first statement here is the take-over.
TEST_F(MigratorTest, AMigrateThatLostItsLockStopsBeforeItsNextStatement) {
  static constexpr Migration kTakenOver[] = {
      {98, "taken_over",
       "UPDATE dcp_lock SET owner = 'another' WHERE name = 'migrate';\n"
       "CREATE TABLE never (id INT PRIMARY KEY);\n"
       "INSERT IGNORE INTO schema_migrations VALUES (98, 'taken_over', NOW(6));\n"},
  };
  EXPECT_THROW(Migrator(kTakenOver).Migrate(session()), LockLostError);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() "
                "AND table_name = 'never'"),
            0);
  EXPECT_EQ(Str("SELECT owner FROM dcp_lock WHERE name = 'migrate'"), "another");  // not deleted
}

TEST_F(MigratorTest, AFileThatDoesNotRecordItselfIsAnError) {
  static constexpr Migration kBad[] = {{97, "forgetful", "CREATE TABLE forgetful (id INT);\n"}};
  EXPECT_THROW(Migrator(kBad).Migrate(session()), DbError);
}

}  // namespace
}  // namespace dcp::mysql
