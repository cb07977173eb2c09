#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "mysql/mysql_run_store.hpp"
#include "mysql/mysql_task_store.hpp"
#include "test_database.hpp"

namespace dcp::mysql {
namespace {

using testing::MakeRun;
using testing::Planned;
using testing::PlanTasks;

using RunStoreTest = testing::DatabaseTest;

TEST_F(RunStoreTest, RunLockIsExclusiveBetweenSessions) {
  auto other_session = NewSession();
  MysqlRunStore mine(session());
  MysqlRunStore other(*other_session);
  EXPECT_TRUE(mine.TryLockRuns());
  EXPECT_TRUE(mine.TryLockRuns());  // idempotent
  EXPECT_FALSE(other.TryLockRuns());
  mine.UnlockRuns();
  EXPECT_TRUE(other.TryLockRuns());
  EXPECT_FALSE(mine.TryLockRuns());
}

TEST_F(RunStoreTest, RunLockIsReleasedWhenItsConnectionEnds) {
  auto holder_session = NewSession();
  MysqlRunStore holder(*holder_session);
  MysqlRunStore other(session());
  ASSERT_TRUE(holder.TryLockRuns());
  EXPECT_FALSE(other.TryLockRuns());
  holder_session->Disconnect();
  // The server frees the lock once it has processed the disconnect.
  bool locked = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!(locked = other.TryLockRuns()) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(locked);
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

TEST_F(RunStoreTest, PublishingProgressIsMonotonic) {
  MysqlRunStore store(session());
  const RunId run = RunId::New();
  const auto tasks = PlanTasks(5);
  store.CreateRun(MakeRun(run), tasks);
  EXPECT_EQ(store.UnpublishedTasks(run).size(), 5u);
  store.MarkPublished(run, 3);
  store.MarkPublished(run, 2);  // a late confirm does not move it back
  EXPECT_EQ(store.GetRun(run)->published, 3);
  const auto left = store.UnpublishedTasks(run);
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].seq, 4);
  EXPECT_EQ(left[0].id, tasks[3].id);
  EXPECT_EQ(left[0].selection, "s4");
  EXPECT_EQ(left[0].start, tasks[3].start);
  EXPECT_EQ(left[1].end, tasks[4].end);
}

TEST_F(RunStoreTest, ActiveRunIsTheNewestUncompletedLeaderRun) {
  MysqlRunStore store(session());
  EXPECT_FALSE(store.ActiveRun().has_value());
  EXPECT_TRUE(store.RunsLeftPublishing().empty());
  const RunId older = RunId::New();
  const RunId newer = RunId::New();
  store.CreateRun(MakeRun(older), PlanTasks(1));
  store.CreateRun(MakeRun(newer, "cron"), PlanTasks(1));
  EXPECT_EQ(store.ActiveRun(), newer);
  EXPECT_EQ(store.RunsLeftPublishing(), (std::vector<RunId>{older, newer}));
  store.MarkRunning(newer);
  EXPECT_EQ(store.RunsLeftPublishing(), std::vector<RunId>{older});
  EXPECT_EQ(store.LatestRun()->id, newer);
  EXPECT_EQ(store.LatestRun()->status, RunStatus::kRunning);
  // An external run is never the active one.
  MysqlTaskStore(session()).FailTask(TaskId::New(), RunId::New(), "x");
  EXPECT_EQ(store.ActiveRun(), newer);
}

TEST_F(RunStoreTest, MarkRunningCompletesARunWhoseTasksAllEnded) {
  MysqlRunStore store(session());
  MysqlTaskStore tasks_store(session());
  const RunId run = RunId::New();
  const auto tasks = PlanTasks(2);
  store.CreateRun(MakeRun(run), tasks);
  for (const auto& t : tasks) {
    const TaskMessage m{run, t.id, t.selection, t.start, t.end};
    tasks_store.StartTask(m, "w");
    tasks_store.FinishTask(m, {"ref", "r"});
  }
  EXPECT_EQ(store.GetRun(run)->status, RunStatus::kPublishing);  // never completes early
  store.MarkPublished(run, 2);
  store.MarkRunning(run);
  const auto summary = store.GetRun(run);
  EXPECT_EQ(summary->status, RunStatus::kFinished);
  EXPECT_TRUE(summary->finished_at.has_value());
  EXPECT_EQ(summary->counts.finished, 2);
}

TEST_F(RunStoreTest, UnpublishedTasksSkipTasksAlreadyTakenByWorkers) {
  MysqlRunStore store(session());
  MysqlTaskStore tasks_store(session());
  const RunId run = RunId::New();
  const auto tasks = PlanTasks(3);
  store.CreateRun(MakeRun(run), tasks);
  // Published but not yet watermarked when the leader died: a worker has it.
  tasks_store.StartTask(
      TaskMessage{run, tasks[1].id, tasks[1].selection, tasks[1].start, tasks[1].end}, "w");
  const auto left = store.UnpublishedTasks(run);
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].id, tasks[0].id);
  EXPECT_EQ(left[1].id, tasks[2].id);
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
      tasks_store.FailTask(m.task_id, run, "boom");
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

TEST_F(RunStoreTest, ForEachResultStreamsInSelectionStartTaskOrder) {
  MysqlRunStore store(session());
  MysqlTaskStore tasks_store(session());
  const RunId run = RunId::New();
  std::vector<PlannedTask> tasks = {
      Planned(1, "b", "2023-01-01 00:00", "2023-01-01 23:59"),
      Planned(2, "a", "2023-01-02 00:00", "2023-01-02 23:59"),
      Planned(3, "a", "2023-01-01 00:00", "2023-01-01 23:59"),
      Planned(4, "'; DROP TABLE run_process; --", "2023-01-01 00:00", "2023-01-01 23:59"),
      Planned(5, "c", "2023-01-01 00:00", "2023-01-01 23:59"),  // never finished
  };
  store.CreateRun(MakeRun(run), tasks);
  for (std::size_t i = 0; i < 4; ++i) {
    const TaskMessage m{run, tasks[i].id, tasks[i].selection, tasks[i].start, tasks[i].end};
    tasks_store.StartTask(m, "w");
    tasks_store.FinishTask(m, {"ref", "body" + std::to_string(i + 1)});
  }
  std::vector<std::string> seen;
  store.ForEachResult(run, [&](const std::string& computation, const std::string& selection,
                               LocalMinute start, LocalMinute end, const std::string& body) {
    EXPECT_EQ(computation, "ref");
    EXPECT_EQ(end - std::chrono::minutes(1439), start);
    seen.push_back(selection + "@" + FormatLocalMinute(start) + "=" + body);
  });
  EXPECT_EQ(seen, (std::vector<std::string>{
                      "'; DROP TABLE run_process; --@2023-01-01 00:00=body4",
                      "a@2023-01-01 00:00=body3",
                      "a@2023-01-02 00:00=body2",
                      "b@2023-01-01 00:00=body1",
                  }));
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
