#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "mysql/mysql_run_store.hpp"
#include "mysql/mysql_task_store.hpp"
#include "ports/errors.hpp"
#include "test_database.hpp"

namespace dcp::mysql {
namespace {

using testing::MakeRun;
using testing::Planned;
using testing::PlanTasks;

using RunStoreTest = testing::DatabaseTest;

// The lock is a lease row, not the connection's: a lost connection does
// not lose it (the keeper renews it through a connection of its own).
TEST_F(RunStoreTest, RunLockIsExclusiveBetweenSessionsAndOutlivesAConnection) {
  auto other_session = NewSession();
  MysqlRunStore mine(session());
  MysqlRunStore other(*other_session);
  EXPECT_TRUE(mine.TryLockRuns("reference"));
  EXPECT_TRUE(mine.TryLockRuns("reference"));  // idempotent
  session().Disconnect();
  EXPECT_TRUE(mine.RunLockHeld("reference"));
  EXPECT_FALSE(other.TryLockRuns("reference"));
  EXPECT_FALSE(other.RunLockHeld("reference"));
  mine.UnlockRuns("reference");
  EXPECT_FALSE(mine.RunLockHeld("reference"));
  EXPECT_TRUE(other.TryLockRuns("reference"));
  EXPECT_FALSE(mine.TryLockRuns("reference"));
}

// A leader that died (here: whose lease was made to end) is taken over by
// the next; the first, were it still alive, finds its lock lost.
TEST_F(RunStoreTest, RunLockOfAHolderWhoseLeaseEndedIsTakenOver) {
  auto holder_session = NewSession();
  MysqlRunStore holder(*holder_session);
  MysqlRunStore next(session());
  ASSERT_TRUE(holder.TryLockRuns("reference"));
  EXPECT_FALSE(next.TryLockRuns("reference"));
  // Its keeper may renew it meanwhile: end it in the statement that takes it.
  const auto mine = Str("SELECT owner FROM dcp_lock WHERE name = 'run'");
  session().Execute("UPDATE dcp_lock SET owner = 'dead', expires_at = NOW(6) - INTERVAL 1 SECOND");
  ASSERT_TRUE(next.TryLockRuns("reference"));
  EXPECT_NE(Str("SELECT owner FROM dcp_lock WHERE name = 'run'"), mine);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (holder.RunLockHeld("reference") && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_FALSE(holder.RunLockHeld("reference"));
  holder.UnlockRuns("reference");  // deletes nothing of the new holder's
  EXPECT_TRUE(next.RunLockHeld("reference"));
  EXPECT_EQ(Int("SELECT COUNT(*) FROM dcp_lock WHERE name = 'run'"), 1);
}

TEST_F(RunStoreTest, RunLocksAreRowsNamedAfterTheirJobs) {
  MysqlRunStore store(session());
  ASSERT_TRUE(store.TryLockRuns("reference"));
  ASSERT_TRUE(store.TryLockRuns("forecast"));
  std::vector<std::string> names;
  session().Query("SELECT name FROM dcp_lock ORDER BY name", {},
                  [&](const Row& r) { names.push_back(r.String(0)); });
  EXPECT_EQ(names, (std::vector<std::string>{"run", "run.forecast"}));
  store.UnlockRuns("reference");
  store.UnlockRuns("forecast");
  EXPECT_EQ(Int("SELECT COUNT(*) FROM dcp_lock"), 0);
}

TEST_F(RunStoreTest, CreateRunRecordsRunContextAndQueuedTasks) {
  MysqlRunStore store(session());
  const RunId run = RunId::New();
  const auto tasks = PlanTasks(1203);  // more than two insert batches
  store.CreateRun(MakeRun(run), tasks);
  auto summary = store.GetRun(run);
  ASSERT_TRUE(summary.has_value());
  EXPECT_EQ(summary->id, run);
  EXPECT_EQ(summary->trigger, "manual");
  EXPECT_EQ(summary->status, RunStatus::kPublishing);
  EXPECT_EQ(summary->task_count, 1203);
  EXPECT_EQ(summary->published, 0);
  EXPECT_EQ(summary->counts.queued, 1203);
  EXPECT_FALSE(summary->finished_at.has_value());
  const auto age = std::chrono::system_clock::now() - summary->created_at;
  EXPECT_LT(std::chrono::abs(age), std::chrono::minutes(5));  // UTC both sides
  EXPECT_EQ(Str("SELECT time_zone FROM run_context WHERE run_id = ?", {run.ToString()}),
            "Europe/Amsterdam");
  EXPECT_EQ(Int("SELECT MAX(seq) FROM run_process WHERE run_id = ?", {run.ToString()}), 1203);
  EXPECT_FALSE(store.GetRun(RunId::New()).has_value());
}

TEST_F(RunStoreTest, RequeueFailedReopensTheRunForPublishing) {
  MysqlRunStore store(session());
  MysqlTaskStore tasks_store(session());
  const RunId run = RunId::New();
  const auto tasks = PlanTasks(3);
  store.CreateRun(MakeRun(run), tasks);
  store.MarkPublished(run, 3);
  store.MarkRunning(run);
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    const TaskMessage m{run, tasks[i].id, tasks[i].selection, tasks[i].start, tasks[i].end};
    tasks_store.StartTask(m, "w");
    if (i == 1) {
      tasks_store.FailTask(m.task_id, run, 1, "boom");
    } else {
      tasks_store.FinishTask(m, {"ref", "r"});
    }
  }
  ASSERT_EQ(store.GetRun(run)->status, RunStatus::kFailed);
  const auto requeued = store.RequeueFailed(run);
  ASSERT_EQ(requeued.size(), 1u);
  EXPECT_EQ(requeued[0].id, tasks[1].id);
  auto summary = store.GetRun(run);
  EXPECT_EQ(summary->status, RunStatus::kPublishing);
  EXPECT_EQ(summary->counts.queued, 1);
  EXPECT_EQ(summary->counts.failed, 0);
  EXPECT_FALSE(summary->finished_at.has_value());
  const auto again = store.UnpublishedTasks(run);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].id, tasks[1].id);
  store.MarkRunning(run);
  const TaskMessage m{run, tasks[1].id, tasks[1].selection, tasks[1].start, tasks[1].end};
  EXPECT_EQ(tasks_store.StartTask(m, "w").attempt, 1);  // attempts start over
  EXPECT_TRUE(tasks_store.FinishTask(m, {"ref", "r"}));
  summary = store.GetRun(run);
  EXPECT_EQ(summary->status, RunStatus::kFinished);
  EXPECT_EQ(summary->counts.finished, 3);
  std::int64_t finished = 0, failed = 0;
  session().Query("SELECT tasks_finished, tasks_failed FROM run WHERE run_id = ?", {run.ToString()},
                  [&](const Row& r) {
                    finished = r.Int(0);
                    failed = r.Int(1);
                  });
  EXPECT_EQ(finished, 3);
  EXPECT_EQ(failed, 0);
  EXPECT_TRUE(store.RequeueFailed(run).empty());
}

// A topology bigger than one statement may be (the server's 16 MiB
// max_allowed_packet) goes in chunks and comes back whole; a chunk changed
// behind dcp's back is refused, not computed with.
TEST_F(RunStoreTest, ABigTopologyIsStoredInChunksAndCheckedByItsHash) {
  const RunId run = RunId::New();
  NewRun record = MakeRun(run);
  record.context.topology.resize(std::size_t{40} << 20);
  for (std::size_t i = 0; i < record.context.topology.size(); ++i) {
    record.context.topology[i] = static_cast<char>((i * 131) % 251);
  }
  MysqlRunStore(session()).CreateRun(record, PlanTasks(1));
  EXPECT_GE(Int("SELECT COUNT(*) FROM run_topology_chunk WHERE run_id = '" + run.ToString() + "'"),
            3);
  MysqlTaskStore tasks(session());
  const auto context = tasks.LoadRunContext(run);
  ASSERT_TRUE(context);
  EXPECT_TRUE(context->topology == record.context.topology);
  session().Execute("UPDATE run_topology_chunk SET chunk = 'x' WHERE run_id = ? AND seq = 1",
                    {run.ToString()});
  try {
    (void)tasks.LoadRunContext(run);
    ADD_FAILURE() << "a changed topology was loaded";
  } catch (const DbError& e) {
    EXPECT_EQ(e.kind(), DbErrorKind::kData);
    EXPECT_NE(std::string(e.what()).find("does not match"), std::string::npos) << e.what();
  }
}

TEST_F(RunStoreTest, CreateRunOf100kTasks) {
  MysqlRunStore store(session());
  const auto tasks = PlanTasks(100'000);
  const auto start = std::chrono::steady_clock::now();
  store.CreateRun(MakeRun(RunId::New()), tasks);
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  std::printf("CreateRun: 100000 tasks in %.2f s = %.0f tasks/s\n", took.count(),
              100'000 / took.count());
  EXPECT_EQ(Int("SELECT COUNT(*) FROM run_process"), 100'000);
}

}  // namespace
}  // namespace dcp::mysql
