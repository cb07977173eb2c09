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
    std::vector<std::string> drops;
    session().Query(
        "SELECT CONCAT(IF(table_type = 'VIEW', 'DROP VIEW `', 'DROP TABLE `'), table_name, '`') "
        "FROM information_schema.tables WHERE table_schema = DATABASE()",
        {}, [&](const Row& r) { drops.push_back(r.String(0)); });
    ASSERT_FALSE(drops.empty());
    for (const auto& drop : drops) session().Execute(drop);
  }
  // A database of the layout before migration `version`: every table
  // dropped, the migrations before it applied.
  void MigrateUpTo(int version) {
    DropEveryTable();
    const auto migrations = EmbeddedMigrations();
    const auto before = static_cast<std::size_t>(version - 1);
    ASSERT_GT(migrations.size(), before);
    ASSERT_EQ(migrations[before].version, version);
    Migrator(migrations.first(before)).Migrate(session());
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
  for (const char* table : {"run_process", "run", "run_context", "task_result"}) {  // a view
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

// Migration 11 moves the task rows and results of the old layout into the
// compact one, 50,000 rows a statement: a database of the old layout with
// more rows than two statements copy, in every status, with results, a
// malformed message's row of no run, errors and params; after it, every
// column of every row reads as before, each result with its task, and a new
// row's id comes after the old ones. A migrate interrupted midway goes on.
TEST_F(MigratorTest, TheCompactTasksMigrationMovesEveryOldRowInBatches) {
  MigrateUpTo(11);
  if (HasFatalFailure()) return;
  const auto migrations = EmbeddedMigrations();
  const std::string run = "0190f3a2-7c1d-7000-8000-00000000abcd";
  session().Execute(
      "INSERT INTO run (run_id, trigger_kind, status, task_count, created_at) "
      "VALUES (?, 'manual', 'RUNNING', 100000, NOW(6))",
      {run});
  // 100,000 tasks numbered 0 ..: ids from the number, the status by n mod 5.
  const std::string digits =
      "(SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 "
      "UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL "
      "SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)";
  session().Execute(
      "INSERT INTO run_process (run_id, task_id, task_status, seq, selection, start_date, "
      "end_date, attempt, worker, queued_at, started_at, finished_at, error, params) "
      "SELECT ?, CONCAT(LPAD(LOWER(HEX(n)), 8, '0'), '-0000-4000-8000-', LPAD(LOWER(HEX(n)), 12, "
      "'0')), ELT(1 + MOD(n, 5), 'QUEUED', 'STARTED', 'FINISHED', 'FAILED', 'CANCELLED'), n + 1, "
      "CONCAT('S', MOD(n, 7), '-\xc3\xa9'), '2024-01-01' + INTERVAL n HOUR, '2024-01-01' + "
      "INTERVAL n HOUR + INTERVAL 59 MINUTE, MOD(n, 3), IF(MOD(n, 5) = 0, NULL, CONCAT('w-', "
      "MOD(n, 4))), NOW(6), IF(MOD(n, 5) = 0, NULL, NOW(6)), IF(MOD(n, 5) > 1, NOW(6), NULL), "
      "IF(MOD(n, 5) = 3, CONCAT('error ', n), NULL), IF(MOD(n, 11) = 0, '{\"k\": 1}', NULL) "
      "FROM (SELECT a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d AS n FROM " +
          digits + " a, " + digits + " b, " + digits + " c, " + digits + " e, " + digits +
          " f) numbers ORDER BY n",
      {run});
  session().Execute(
      "INSERT INTO run_process (run_id, task_id, task_status, error, finished_at) VALUES (NULL, "
      "'ffffffff-0000-4000-8000-000000000001', 'FAILED', 'malformed', NOW(6))");
  session().Execute(
      "INSERT INTO task_result (task_id, run_id, computation, body, created_at) SELECT task_id, "
      "run_id, 'reference', CONCAT('{\"n\": ', seq, '}'), finished_at FROM run_process WHERE "
      "task_status = 'FINISHED'");
  const std::string rows_digest =
      "SELECT CONCAT_WS(' ', COUNT(*), SUM(CRC32(CONCAT_WS('|', id, run_id, task_id, task_status, "
      "seq, selection, start_date, end_date, attempt, worker, queued_at, started_at, finished_at, "
      "error, params)))) FROM run_process";
  const std::string results_digest =
      "SELECT CONCAT_WS(' ', COUNT(*), SUM(CRC32(CONCAT_WS('|', task_id, run_id, computation, "
      "body, "
      "created_at)))) FROM task_result";
  const auto rows_before = Str(rows_digest);
  const auto results_before = Str(results_digest);
  const std::int64_t last_id = Int("SELECT MAX(id) FROM run_process");
  ASSERT_EQ(Int("SELECT COUNT(*) FROM run_process"), 100001);
  ASSERT_EQ(Int("SELECT COUNT(*) FROM task_result"), 20000);

  // A migrate interrupted after its first copy: the table made, 50,000 rows
  // copied. The next one goes on from there.
  const auto statements = SplitStatements(migrations[10].sql);
  ASSERT_GE(statements.size(), 2U);
  session().Execute(statements[0]);
  EXPECT_EQ(session().Execute(statements[1]), 50000U);
  EXPECT_EQ(Migrator(migrations.first(11)).Migrate(session()).applied, std::vector<int>{11});
  EXPECT_EQ(Str(rows_digest), rows_before);
  EXPECT_EQ(Str(results_digest), results_before);
  EXPECT_EQ(Str("SELECT data_type FROM information_schema.columns WHERE table_schema = "
                "DATABASE() AND table_name = 'run_process' AND column_name = 'task_key'"),
            "binary");
  EXPECT_EQ(Str("SELECT table_type FROM information_schema.tables WHERE table_schema = "
                "DATABASE() AND table_name = 'task_result'"),
            "VIEW");
  EXPECT_EQ(Int("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() "
                "AND table_name LIKE 'run_process_%'"),
            0);
  // The rows are found by their keys, and new ones go after them.
  EXPECT_EQ(Str("SELECT task_status FROM run_process WHERE task_key = UNHEX(REPLACE(?, '-', ''))",
                {std::string("00000002-0000-4000-8000-000000000002")}),
            "FINISHED");
  EXPECT_EQ(
      Int("SELECT COUNT(*) FROM run_process WHERE run_key = UNHEX(REPLACE(?, '-', ''))", {run}),
      100000);
  session().Execute(
      "INSERT INTO run_process (run_key, task_key, task_status) VALUES (UNHEX(REPLACE(?, '-', "
      "'')), UNHEX(REPLACE(?, '-', '')), 'QUEUED')",
      {run, std::string("0190f3a2-7c1d-7000-8000-0000000000ff")});
  EXPECT_GT(
      Int("SELECT id FROM run_process WHERE task_id = '0190f3a2-7c1d-7000-8000-0000000000ff'"),
      last_id);
}

// Migration 12 counts what the status index it drops was read for: the
// STARTED rows per run and worker (run_worker), and the rows a run's
// workers recorded without a plan (run.tasks_unplanned; of a run of another
// producer, all of them). Runs of the layout of 11: a planned run with
// tasks in every status, two workers' STARTED ones and one unplanned; a
// run of another producer; a malformed message's row of no run.
TEST_F(MigratorTest, TheStartedCountsMigrationCountsStartedRowsPerWorkerAndUnplannedRows) {
  MigrateUpTo(12);
  if (HasFatalFailure()) return;
  const std::string planned = "0190f3a2-7c1d-7000-8000-00000000aaaa";
  const std::string external = "0190f3a2-7c1d-7000-8000-00000000bbbb";
  session().Execute(
      "INSERT INTO run (run_id, trigger_kind, status, task_count, created_at) VALUES (?, "
      "'manual', 'RUNNING', 8, NOW(6)), (?, 'external', 'RUNNING', NULL, NOW(6))",
      {planned, external});
  int n = 0;
  const auto task = [&](const std::string& run, std::optional<int> seq, const char* status,
                        const char* worker) {
    const std::string id =
        "0190f3a2-7c1d-7000-9000-" + std::string(12 - 4, '0') + std::to_string(1000 + n++);
    session().Execute(
        "INSERT INTO run_process (run_key, task_key, task_status, seq, worker) VALUES (" +
            std::string(run.empty() ? "NULL" : "UNHEX(REPLACE('" + run + "', '-', ''))") +
            ", UNHEX(REPLACE(?, '-', '')), ?, ?, ?)",
        {id, std::string(status), seq ? Value{std::int64_t{*seq}} : Value{nullptr},
         worker ? Value{std::string(worker)} : Value{nullptr}});
  };
  task(planned, 1, "STARTED", "w-1");
  task(planned, 2, "STARTED", "w-1");
  task(planned, 3, "STARTED", "w-2");
  task(planned, 4, "FINISHED", "w-2");
  task(planned, 5, "QUEUED", nullptr);
  task(planned, 6, "FAILED", "w-1");
  task(planned, 7, "CANCELLED", nullptr);
  task(planned, std::nullopt, "STARTED", "w-1");  // one more than planned
  task(external, std::nullopt, "QUEUED", "w-2");  // a retry waiting
  task(external, std::nullopt, "STARTED", "w-2");
  task(external, std::nullopt, "FINISHED", "w-1");
  task("", std::nullopt, "FAILED", nullptr);  // of no run
  session().Execute(
      "UPDATE run SET tasks_finished = 1, tasks_failed = 1, tasks_cancelled = 1 WHERE run_id = ?",
      {planned});
  session().Execute("UPDATE run SET tasks_finished = 1 WHERE run_id = ?", {external});

  EXPECT_EQ(Migrator().Migrate(session()).applied, std::vector<int>{12});
  EXPECT_EQ(Str("SELECT GROUP_CONCAT(worker, '=', tasks_started ORDER BY worker) FROM run_worker "
                "WHERE run_id = ?",
                {planned}),
            "w-1=3,w-2=1");
  EXPECT_EQ(Str("SELECT GROUP_CONCAT(worker, '=', tasks_started) FROM run_worker WHERE run_id = ?",
                {external}),
            "w-2=1");
  EXPECT_EQ(Int("SELECT COUNT(*) FROM run_worker"), 3);
  EXPECT_EQ(Int("SELECT tasks_unplanned FROM run WHERE run_id = ?", {planned}), 1);
  EXPECT_EQ(Int("SELECT tasks_unplanned FROM run WHERE run_id = ?", {external}), 3);
  const auto has_index = [&](const char* name) {
    return Int("SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = "
               "DATABASE() AND table_name = 'run_process' AND index_name = ?",
               {std::string(name)}) > 0;
  };
  EXPECT_FALSE(has_index("ix_run_process_run_status"));
  EXPECT_TRUE(has_index("ix_run_process_failed"));
  // The FAILED ones by their index: the planned run's and the row of no run
  // (no run key: not in it).
  EXPECT_EQ(Int("SELECT COUNT(*) FROM run_process WHERE failed_run_key = UNHEX(REPLACE(?, '-', "
                "''))",
                {planned}),
            1);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM run_process WHERE failed_run_key IS NOT NULL"), 1);
  ExpectCountsMatchRows(*RunId::Parse(planned));
  ExpectCountsMatchRows(*RunId::Parse(external));
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
