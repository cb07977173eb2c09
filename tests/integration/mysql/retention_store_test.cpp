// MysqlRetentionStore against a real server: which runs are expired, the
// batched deletes across every table of a run, a run that becomes active
// again, the purge claim between two processes, and the purge as a whole.
#include <gtest/gtest.h>

#include "mysql/mysql_retention_store.hpp"
#include "mysql/mysql_run_store.hpp"
#include "mysql/mysql_task_store.hpp"
#include "retention/purge.hpp"
#include "test_database.hpp"

namespace dcp::mysql {
namespace {

using std::chrono::hours;
using testing::MakeRun;
using testing::PlanTasks;

constexpr std::chrono::seconds kNinetyDays = hours(24 * 90);
// A task's result is in its run_process row (task_result is a view of it).
const std::vector<std::string> kTables = {"run_process", "run_topology_chunk", "run_context",
                                          "run_job",     "run_worker",         "run"};

class RetentionStoreTest : public testing::DatabaseTest {
 protected:
  // A run of `n` tasks; FINISHED if `finish`, else left RUNNING.
  RunId Run(int n, bool finish = true) {
    const RunId run = RunId::New();
    const auto tasks = PlanTasks(n);
    NewRun spec = MakeRun(run);
    spec.job_text = "name: reference\n";
    MysqlRunStore store(session());
    store.CreateRun(spec, tasks);
    store.MarkRunning(run);
    MysqlTaskStore task_store(session());
    for (const auto& t : tasks) {
      if (!finish) break;
      const TaskMessage m{run, t.id, t.selection, t.start, t.end};
      task_store.StartTask(m, "w1");
      task_store.FinishTask(m, {"ref", "x"});
    }
    return run;
  }
  // Every time of the run `days` earlier, as if it had been that long ago.
  void Age(const RunId& run, int days) {
    session().Execute(
        "UPDATE run SET created_at = created_at - INTERVAL ? DAY, published_at = published_at - "
        "INTERVAL ? DAY, finished_at = finished_at - INTERVAL ? DAY, last_activity_at = "
        "last_activity_at - INTERVAL ? DAY WHERE run_id = ?",
        {days, days, days, days, run.ToString()});
  }
  std::int64_t Rows(const std::string& table, const RunId& run) {
    return Int("SELECT COUNT(*) FROM " + table + " WHERE run_id = ?", {run.ToString()});
  }
  std::int64_t AllRows(const RunId& run) {
    std::int64_t n = 0;
    for (const auto& table : kTables) n += Rows(table, run);
    return n;
  }
  std::vector<RunId> Expired(std::chrono::seconds age = kNinetyDays) {
    MysqlRetentionStore store(session());
    std::vector<RunId> ids;
    for (const ExpiredRun& r : store.ExpiredRuns(age, 100)) ids.push_back(r.run);
    return ids;
  }
};

TEST_F(RetentionStoreTest, OnlyEndedRunsAndQuietRunsOfOtherProducersAreExpired) {
  const RunId old_finished = Run(3);
  const RunId new_finished = Run(3);
  const RunId old_running = Run(3, /*finish=*/false);  // a run of dcp, never ended: kept
  // A run of another producer: its row comes with its first task.
  const RunId old_external = RunId::New();
  MysqlTaskStore tasks(session());
  const TaskMessage m{old_external, TaskId::New(), "s", testing::Minute("2023-01-01 00:00"),
                      testing::Minute("2023-01-01 23:59")};
  tasks.StartTask(m, "w1");
  tasks.FinishTask(m, {"ref", "x"});
  for (const RunId& r : {old_finished, old_running, old_external}) Age(r, 100);
  EXPECT_EQ(Str("SELECT trigger_kind FROM run WHERE run_id = ?", {old_external.ToString()}),
            "external");
  EXPECT_EQ(Expired(), (std::vector<RunId>{old_finished, old_external}));
  EXPECT_EQ(Expired(hours(24 * 101)), std::vector<RunId>{});
  // At an age of 0 the recent finished run is expired too, the running one still not.
  EXPECT_EQ(Expired(std::chrono::seconds(0)).size(), 3u);
  (void)new_finished;
}

TEST_F(RetentionStoreTest, ABatchDeletesAtMostItsRowsOfOneTableAndTheRunRowLast) {
  const RunId run = Run(5);
  Age(run, 100);
  for (const auto& table : kTables) EXPECT_GT(Rows(table, run), 0) << table;
  const std::int64_t all = AllRows(run);
  MysqlRetentionStore store(session());
  EXPECT_EQ(store.CountRows(run), static_cast<std::uint64_t>(all));
  PurgeBatch batch = store.DeleteBatch(run, kNinetyDays, 2);
  EXPECT_EQ(batch.rows, 2u);
  EXPECT_FALSE(batch.run_gone);
  EXPECT_EQ(Rows("run_process", run), 3);  // the tasks first
  EXPECT_EQ(Rows("task_result", run), 3);  // their results with them
  std::uint64_t deleted = 2;
  int batches = 1;
  while (!batch.run_gone) {
    batch = store.DeleteBatch(run, kNinetyDays, 2);
    ASSERT_FALSE(batch.kept);
    EXPECT_LE(batch.rows, 2u);
    if (!batch.run_gone) {
      EXPECT_EQ(Rows("run", run), 1);
    }
    deleted += batch.rows;
    ASSERT_LT(++batches, 100);
  }
  EXPECT_EQ(deleted, static_cast<std::uint64_t>(all));
  EXPECT_EQ(AllRows(run), 0);
  // Once gone, it stays gone.
  EXPECT_TRUE(store.DeleteBatch(run, kNinetyDays, 2).run_gone);
}

TEST_F(RetentionStoreTest, ARunWithNewActivityIsLeftAlone) {
  const RunId run = RunId::New();
  MysqlTaskStore tasks(session());
  const auto message = [&] {
    return TaskMessage{run, TaskId::New(), "s", testing::Minute("2023-01-01 00:00"),
                       testing::Minute("2023-01-01 23:59")};
  };
  const TaskMessage first = message();
  tasks.StartTask(first, "w1");
  tasks.FinishTask(first, {"ref", "x"});
  Age(run, 100);
  ASSERT_EQ(Expired(), std::vector<RunId>{run});
  // The producer sends it one more task: its counters move, and with them
  // its last activity.
  const TaskMessage second = message();
  tasks.StartTask(second, "w1");
  tasks.FinishTask(second, {"ref", "y"});
  MysqlRetentionStore store(session());
  const PurgeBatch batch = store.DeleteBatch(run, kNinetyDays, 100);
  EXPECT_TRUE(batch.kept);
  EXPECT_EQ(batch.rows, 0u);
  EXPECT_EQ(Rows("run_process", run), 2);
  EXPECT_EQ(Expired(), std::vector<RunId>{});
}

TEST_F(RetentionStoreTest, OneProcessPurgesAtATime) {
  auto other_session = NewSession();
  MysqlRetentionStore mine(session());
  MysqlRetentionStore other(*other_session);
  ASSERT_TRUE(mine.ClaimPurge());
  EXPECT_TRUE(mine.PurgeClaimHeld());
  EXPECT_FALSE(other.ClaimPurge());
  EXPECT_FALSE(other.PurgeClaimHeld());
  mine.ReleasePurge();
  EXPECT_FALSE(mine.PurgeClaimHeld());
  EXPECT_TRUE(other.ClaimPurge());
  other.ReleasePurge();
}

TEST_F(RetentionStoreTest, APurgeRemovesTheExpiredRunsAndOldRowsOfNoRunAndNothingElse) {
  const RunId old_run = Run(7);
  const RunId recent = Run(4);
  Age(old_run, 100);
  MysqlTaskStore tasks(session());
  const TaskId orphan = TaskId::New();
  const TaskId new_orphan = TaskId::New();
  ASSERT_EQ(tasks.FailTask(orphan, std::nullopt, kNotStarted, "malformed"), WriteOutcome::kApplied);
  ASSERT_EQ(tasks.FailTask(new_orphan, std::nullopt, kNotStarted, "malformed"),
            WriteOutcome::kApplied);
  session().Execute(
      "UPDATE run_process SET finished_at = finished_at - INTERVAL 100 DAY WHERE task_id = ?",
      {orphan.ToString()});
  const std::int64_t recent_rows = AllRows(recent);
  const std::int64_t old_rows = AllRows(old_run);
  MysqlRetentionStore store(session());
  retention::PurgeOptions options;
  options.batch = 3;
  options.pause = std::chrono::milliseconds(0);
  const retention::PurgeReport report = retention::Purge(store, options);
  EXPECT_EQ(report.status, retention::PurgeReport::Status::kDone);
  ASSERT_EQ(report.runs.size(), 1u);
  EXPECT_EQ(report.runs[0].run, old_run);
  EXPECT_EQ(report.rows, static_cast<std::uint64_t>(old_rows) + 1);
  EXPECT_EQ(report.orphans, 1u);
  EXPECT_EQ(AllRows(old_run), 0);
  EXPECT_EQ(AllRows(recent), recent_rows);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM run_process WHERE task_id = ?", {orphan.ToString()}), 0);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM run_process WHERE task_id = ?", {new_orphan.ToString()}), 1);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM dcp_lock WHERE name = 'purge'"), 0);  // released
}

}  // namespace
}  // namespace dcp::mysql
