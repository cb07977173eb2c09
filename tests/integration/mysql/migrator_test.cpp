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
using MigratorTest = DatabaseTest;

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
  std::vector<std::string> tables;  // every table the migrations made
  session().Query(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()", {},
      [&](const Row& r) { tables.push_back(r.String(0)); });
  ASSERT_FALSE(tables.empty());
  for (const auto& table : tables) session().Execute("DROP TABLE `" + table + "`");
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
  static constexpr Migration kExtra[] = {
      {1, "init", ""},
      {99, "add_note",
       "CREATE TABLE note (id INT PRIMARY KEY);\n"
       "INSERT IGNORE INTO schema_migrations VALUES (99, 'add_note', NOW(6));\n"},
  };
  const auto result = Migrator(kExtra).Migrate(session());
  EXPECT_EQ(result.applied, std::vector<int>{99});
  EXPECT_EQ(result.version, 99);
  EXPECT_TRUE(Migrator(kExtra).Migrate(session()).applied.empty());
}

TEST_F(MigratorTest, AFileThatDoesNotRecordItselfIsAnError) {
  static constexpr Migration kBad[] = {{9, "forgetful", "CREATE TABLE forgetful (id INT);\n"}};
  EXPECT_THROW(Migrator(kBad).Migrate(session()), DbError);
}

}  // namespace
}  // namespace dcp::mysql
