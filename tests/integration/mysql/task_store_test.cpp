#include <gtest/gtest.h>

#include "mysql/mysql_run_store.hpp"
#include "mysql/mysql_task_store.hpp"
#include "test_database.hpp"

namespace dcp::mysql {
namespace {

using testing::MakeRun;
using testing::Minute;
using testing::PlanTasks;

class TaskStoreTest : public testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (HasFatalFailure()) return;
    tasks_ = PlanTasks(3);
    MysqlRunStore(session()).CreateRun(testing::MakeRun(run_), tasks_);
  }

  TaskMessage Message(int i) const {
    const auto& t = tasks_.at(static_cast<std::size_t>(i));
    return TaskMessage{run_, t.id, t.selection, t.start, t.end};
  }
  std::string Status(const TaskId& id) {
    return Str("SELECT task_status FROM run_process WHERE task_id = ?", {id.ToString()})
        .value_or("<none>");
  }
  std::string RunStatusText() {
    return Str("SELECT status FROM run WHERE run_id = ?", {run_.ToString()}).value_or("<none>");
  }
  std::int64_t RunInt(const std::string& column) {
    return Int("SELECT " + column + " FROM run WHERE run_id = ?", {run_.ToString()});
  }

  RunId run_ = RunId::New();
  std::vector<PlannedTask> tasks_;
};

TEST_F(TaskStoreTest, StartTaskStartsAQueuedTaskAndCountsAttempts) {
  MysqlTaskStore store(session());
  auto first = store.StartTask(Message(0), "worker-a");
  EXPECT_EQ(first.outcome, StartOutcome::kStarted);
  EXPECT_EQ(first.attempt, 1);
  EXPECT_EQ(Status(tasks_[0].id), "STARTED");
  EXPECT_EQ(Str("SELECT worker FROM run_process WHERE task_id = ?", {tasks_[0].id.ToString()}),
            "worker-a");
  auto again = store.StartTask(Message(0), "worker-b");  // redelivered after a crash
  EXPECT_EQ(again.outcome, StartOutcome::kStarted);
  EXPECT_EQ(again.attempt, 2);
}

TEST_F(TaskStoreTest, ExternalMessageCreatesItsRunAndTask) {
  MysqlTaskStore store(session());
  const TaskMessage m{RunId::New(), TaskId::New(), "7", Minute("2023-01-01 00:00"),
                      Minute("2023-01-31 23:59")};
  EXPECT_EQ(store.StartTask(m, "w").attempt, 1);
  const std::string run = m.run_id.ToString();
  EXPECT_EQ(Str("SELECT trigger_kind FROM run WHERE run_id = ?", {run}), "external");
  EXPECT_EQ(Str("SELECT status FROM run WHERE run_id = ?", {run}), "RUNNING");
  EXPECT_EQ(Int("SELECT task_count IS NULL FROM run WHERE run_id = ?", {run}), 1);
  EXPECT_EQ(Str("SELECT CONCAT(selection, '|', start_date, '|', end_date) FROM run_process "
                "WHERE task_id = ?",
                {m.task_id.ToString()}),
            "7|2023-01-01 00:00:00|2023-01-31 23:59:00");
  EXPECT_TRUE(store.FinishTask(m, {"ref", "{}"}));
  EXPECT_EQ(Str("SELECT status FROM run WHERE run_id = ?", {run}), "RUNNING");  // count unknown
  ExpectCountsMatchRows(m.run_id);
}

TEST_F(TaskStoreTest, FinishTaskStoresResultAndCountsOnce) {
  MysqlTaskStore store(session());
  store.StartTask(Message(0), "w");
  EXPECT_TRUE(store.FinishTask(Message(0), {"ref", "first"}));
  EXPECT_FALSE(store.FinishTask(Message(0), {"ref", "second"}));  // duplicate delivery
  EXPECT_EQ(Status(tasks_[0].id), "FINISHED");
  EXPECT_EQ(RunInt("tasks_finished"), 1);
  EXPECT_EQ(Str("SELECT body FROM task_result WHERE task_id = ?", {tasks_[0].id.ToString()}),
            "first");
  EXPECT_EQ(store.StartTask(Message(0), "w").outcome, StartOutcome::kAlreadyFinished);
  EXPECT_EQ(Status(tasks_[0].id), "FINISHED");
}

TEST_F(TaskStoreTest, FinishTaskOfAnUnstartedTaskChangesNothing) {
  MysqlTaskStore store(session());
  EXPECT_FALSE(store.FinishTask(Message(1), {"ref", "x"}));
  EXPECT_EQ(Status(tasks_[1].id), "QUEUED");
  EXPECT_EQ(Int("SELECT COUNT(*) FROM task_result"), 0);
}

TEST_F(TaskStoreTest, RunCompletesWhenItsLastTaskEnds) {
  MysqlTaskStore store(session());
  MysqlRunStore(session()).MarkRunning(run_);
  for (int i = 0; i < 3; ++i) {
    store.StartTask(Message(i), "w");
    EXPECT_EQ(RunStatusText(), "RUNNING");
    store.FinishTask(Message(i), {"ref", "r"});
  }
  EXPECT_EQ(RunStatusText(), "FINISHED");
  EXPECT_EQ(Int("SELECT finished_at IS NOT NULL FROM run WHERE run_id = ?", {run_.ToString()}), 1);
}

TEST_F(TaskStoreTest, AFailedTaskEndsTheRunAsFailed) {
  MysqlTaskStore store(session());
  MysqlRunStore(session()).MarkRunning(run_);
  store.StartTask(Message(0), "w");
  store.FinishTask(Message(0), {"ref", "r"});
  store.FailTask(tasks_[1].id, run_, "bad input");
  store.StartTask(Message(2), "w");
  store.FailTask(tasks_[2].id, run_, "crashed");
  EXPECT_EQ(RunStatusText(), "FAILED");
  EXPECT_EQ(RunInt("tasks_failed"), 2);
  ExpectCountsMatchRows(run_);
}

TEST_F(TaskStoreTest, FailTaskCountsOnceAndLeavesFinishedTasksAlone) {
  MysqlTaskStore store(session());
  store.StartTask(Message(0), "w");
  store.FailTask(tasks_[0].id, run_, "first");
  store.FailTask(tasks_[0].id, run_, "second");
  EXPECT_EQ(RunInt("tasks_failed"), 1);
  EXPECT_EQ(Str("SELECT error FROM run_process WHERE task_id = ?", {tasks_[0].id.ToString()}),
            "second");
  store.StartTask(Message(1), "w");
  store.FinishTask(Message(1), {"ref", "r"});
  store.FailTask(tasks_[1].id, run_, "late");
  EXPECT_EQ(Status(tasks_[1].id), "FINISHED");
  ExpectCountsMatchRows(run_);
}

TEST_F(TaskStoreTest, FailTaskOfAnUnknownTaskRecordsIt) {
  MysqlTaskStore store(session());
  const TaskId orphan = TaskId::New();
  store.FailTask(orphan, std::nullopt, "malformed: field 'end_date'");
  EXPECT_EQ(Status(orphan), "FAILED");
  EXPECT_EQ(Int("SELECT run_id IS NULL FROM run_process WHERE task_id = ?", {orphan.ToString()}),
            1);
  const RunId other = RunId::New();
  const TaskId known_run = TaskId::New();
  store.FailTask(known_run, other, "bad\xff bytes");
  EXPECT_EQ(Str("SELECT error FROM run_process WHERE task_id = ?", {known_run.ToString()}),
            "bad? bytes");
  ExpectCountsMatchRows(other);
  EXPECT_EQ(Int("SELECT tasks_failed FROM run WHERE run_id = ?", {other.ToString()}), 1);
}

TEST_F(TaskStoreTest, RestartingAFailedTaskKeepsCountsEqualToRows) {
  MysqlTaskStore store(session());
  MysqlRunStore(session()).MarkRunning(run_);
  store.StartTask(Message(0), "w");
  store.FailTask(tasks_[0].id, run_, "transient");
  ExpectCountsMatchRows(run_);
  auto restart = store.StartTask(Message(0), "w");  // retry of the failed task
  EXPECT_EQ(restart.outcome, StartOutcome::kStarted);
  EXPECT_EQ(restart.attempt, 2);
  EXPECT_EQ(RunInt("tasks_failed"), 0);
  ExpectCountsMatchRows(run_);
  EXPECT_TRUE(store.FinishTask(Message(0), {"ref", "r"}));
  ExpectCountsMatchRows(run_);
  for (int i = 1; i < 3; ++i) {
    store.StartTask(Message(i), "w");
    store.FinishTask(Message(i), {"ref", "r"});
  }
  EXPECT_EQ(RunStatusText(), "FINISHED");
  ExpectCountsMatchRows(run_);
}

TEST_F(TaskStoreTest, AFailedTaskOfACompletedRunIsFailedForGood) {
  MysqlTaskStore store(session());
  MysqlRunStore(session()).MarkRunning(run_);
  for (int i = 0; i < 3; ++i) store.FailTask(tasks_[static_cast<std::size_t>(i)].id, run_, "x");
  EXPECT_EQ(RunStatusText(), "FAILED");
  EXPECT_EQ(store.StartTask(Message(0), "w").outcome, StartOutcome::kAlreadyFinished);
  EXPECT_EQ(Status(tasks_[0].id), "FAILED");
  ExpectCountsMatchRows(run_);
}

TEST_F(TaskStoreTest, UnplannedTaskInALeaderRunIsCountedInIt) {
  MysqlTaskStore store(session());
  const TaskMessage extra{run_, TaskId::New(), "x", Minute("2023-01-01 00:00"),
                          Minute("2023-01-01 23:59")};
  store.StartTask(extra, "w");
  EXPECT_EQ(RunInt("task_count"), 4);
}

TEST_F(TaskStoreTest, InjectionLookingSelectionIsStoredVerbatim) {
  MysqlTaskStore store(session());
  const std::string evil = "'; DROP TABLE run_process; --";
  const TaskMessage m{RunId::New(), TaskId::New(), evil, Minute("2023-01-01 00:00"),
                      Minute("2023-01-01 23:59")};
  store.StartTask(m, "w\"); DELETE FROM run; --");
  EXPECT_EQ(Str("SELECT selection FROM run_process WHERE task_id = ?", {m.task_id.ToString()}),
            evil);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM run"), 2);
}

TEST_F(TaskStoreTest, RunContextFirstWriterWins) {
  MysqlTaskStore store(session());
  EXPECT_EQ(store.LoadRunContext(run_)->time_zone, "Europe/Amsterdam");
  const RunId external = RunId::New();
  EXPECT_FALSE(store.LoadRunContext(external).has_value());
  EXPECT_EQ(store.EnsureRunContext(external, {"UTC", "{\"a\":1}"}).topology_json, "{\"a\":1}");
  EXPECT_EQ(store.EnsureRunContext(external, {"Asia/Tokyo", "{}"}).time_zone, "UTC");
  EXPECT_EQ(store.LoadRunContext(external)->time_zone, "UTC");
}

TEST_F(TaskStoreTest, RequeueTaskKeepsAttemptAndErrorForTheRetry) {
  MysqlRunStore runs(session());
  MysqlTaskStore store(session());
  const RunId run = RunId::New();
  const auto tasks = PlanTasks(1);
  runs.CreateRun(MakeRun(run), tasks);
  const TaskMessage m{run, tasks[0].id, tasks[0].selection, tasks[0].start, tasks[0].end};
  EXPECT_EQ(store.StartTask(m, "w").attempt, 1);
  store.RequeueTask(m.task_id, "transient: timeout");
  EXPECT_EQ(runs.GetRun(run)->counts.queued, 1);
  EXPECT_EQ(session().QueryString("SELECT error FROM run_process WHERE task_id = ?",
                                  {m.task_id.ToString()}),
            "transient: timeout");
  EXPECT_EQ(store.StartTask(m, "w").attempt, 2);
  EXPECT_TRUE(store.FinishTask(m, {"ref", "r"}));
  store.RequeueTask(m.task_id, "late");  // a FINISHED task is left alone
  EXPECT_EQ(runs.GetRun(run)->counts.finished, 1);
}

}  // namespace
}  // namespace dcp::mysql
