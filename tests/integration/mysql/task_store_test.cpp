#include <gtest/gtest.h>

#include <algorithm>
#include <barrier>
#include <map>
#include <mutex>
#include <numeric>
#include <random>
#include <thread>

#include "mysql/driver.hpp"
#include "mysql/mysql_run_store.hpp"
#include "mysql/mysql_task_store.hpp"
#include "ports/errors.hpp"
#include "store_contract.hpp"
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

TEST_F(TaskStoreTest, FailTaskOfAnUnknownTaskRecordsIt) {
  MysqlTaskStore store(session());
  const TaskId orphan = TaskId::New();
  store.FailTask(orphan, std::nullopt, kNotStarted, "malformed: field 'end_date'");
  EXPECT_EQ(Status(orphan), "FAILED");
  EXPECT_EQ(Int("SELECT run_id IS NULL FROM run_process WHERE task_id = ?", {orphan.ToString()}),
            1);
  const RunId other = RunId::New();
  const TaskId known_run = TaskId::New();
  store.FailTask(known_run, other, kNotStarted, "bad\xff bytes");
  EXPECT_EQ(Str("SELECT error FROM run_process WHERE task_id = ?", {known_run.ToString()}),
            "bad? bytes");
  ExpectCountsMatchRows(other);
  EXPECT_EQ(Int("SELECT tasks_failed FROM run WHERE run_id = ?", {other.ToString()}), 1);
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
  EXPECT_EQ(store.EnsureRunContext(external, {"UTC", "{\"a\":1}"}).topology, "{\"a\":1}");
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
  store.RequeueTask(m.task_id, 1, "transient: timeout");
  EXPECT_EQ(runs.GetRun(run)->counts.queued, 1);
  EXPECT_EQ(session().QueryString("SELECT error FROM run_process WHERE task_id = ?",
                                  {m.task_id.ToString()}),
            "transient: timeout");
  EXPECT_EQ(store.StartTask(m, "w").attempt, 2);
  EXPECT_TRUE(store.FinishTask(m, {"ref", "r"}));
  store.RequeueTask(m.task_id, 2, "late");  // a FINISHED task is left alone
  EXPECT_EQ(runs.GetRun(run)->counts.finished, 1);
}

// The batch forms.

std::vector<TaskMessage> MessagesOf(const RunId& run, const std::vector<PlannedTask>& tasks) {
  std::vector<TaskMessage> messages;
  for (const auto& t : tasks) messages.push_back({run, t.id, t.selection, t.start, t.end});
  return messages;
}

std::vector<const TaskMessage*> Pointers(const std::vector<TaskMessage>& messages) {
  std::vector<const TaskMessage*> pointers;
  for (const auto& m : messages) pointers.push_back(&m);
  return pointers;
}

// Each message with the same body text.
std::vector<FinishItem> Finishing(const std::vector<const TaskMessage*>& tasks,
                                  const TaskResult& result) {
  std::vector<FinishItem> items;
  for (const TaskMessage* task : tasks) items.push_back({task, &result});
  return items;
}

// What a worker does with StartTasks: the single form where it gives nullopt.
std::vector<StartResult> StartAll(TaskStore& store, const std::vector<const TaskMessage*>& tasks,
                                  std::string_view worker) {
  std::vector<StartResult> results;
  const auto batch = contract::StartTasks(store, tasks, worker);
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    results.push_back(batch.at(i) ? *batch[i] : store.StartTask(*tasks[i], worker));
  }
  return results;
}

// A new leader run of n tasks, RUNNING.
std::vector<TaskMessage> NewRunningRun(Session& session, const RunId& run, int n) {
  MysqlRunStore runs(session);
  const auto tasks = PlanTasks(n);
  runs.CreateRun(MakeRun(run), tasks);
  runs.MarkRunning(run);
  return MessagesOf(run, tasks);
}

TEST_F(TaskStoreTest, StartTasksStartsQueuedTasks) {
  MysqlTaskStore store(session());
  const auto messages = MessagesOf(run_, tasks_);
  const auto started = contract::StartTasks(store, Pointers(messages), std::string(300, 'w'));
  ASSERT_EQ(started.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    const auto& t = tasks_[static_cast<std::size_t>(i)];
    ASSERT_TRUE(started[static_cast<std::size_t>(i)].has_value());
    EXPECT_EQ(started[static_cast<std::size_t>(i)]->outcome, StartOutcome::kStarted);
    EXPECT_EQ(started[static_cast<std::size_t>(i)]->attempt, 1);
    EXPECT_EQ(Status(t.id), "STARTED");
    EXPECT_EQ(Str("SELECT worker FROM run_process WHERE task_id = ?", {t.id.ToString()}),
              std::string(255, 'w'));  // cut to the column, as StartTask does
  }
}

TEST_F(TaskStoreTest, StartTasksRestartsStartedAndReportsEndedTasks) {
  MysqlRunStore runs(session());
  MysqlTaskStore store(session());
  const RunId cancelled_run = RunId::New();
  const auto cancelled_tasks = PlanTasks(1);
  runs.CreateRun(MakeRun(cancelled_run), cancelled_tasks);
  runs.CancelRun(cancelled_run);
  const TaskMessage cancelled = MessagesOf(cancelled_run, cancelled_tasks)[0];
  const TaskMessage unknown{run_, TaskId::New(), "x", Minute("2023-01-01 00:00"),
                            Minute("2023-01-01 23:59")};
  store.StartTask(Message(0), "w");
  store.FinishTask(Message(0), {"ref", "r"});
  store.StartTask(Message(1), "w");
  store.FailTask(tasks_[1].id, run_, 1, "boom");
  store.StartTask(Message(2), "w");

  const auto finished = Message(0);
  const auto failed = Message(1);
  const auto running = Message(2);
  const auto started =
      contract::StartTasks(store, {&finished, &failed, &running, &unknown, &cancelled}, "worker-b");
  ASSERT_EQ(started.size(), 5u);
  ASSERT_TRUE(started[0] && started[2] && started[4]);
  EXPECT_EQ(started[0]->outcome, StartOutcome::kAlreadyFinished);
  EXPECT_EQ(started[0]->attempt, 1);
  EXPECT_FALSE(started[1].has_value());  // FAILED: left to StartTask
  EXPECT_EQ(started[2]->outcome, StartOutcome::kStarted);
  EXPECT_EQ(started[2]->attempt, 2);
  EXPECT_FALSE(started[3].has_value());  // no row: left to StartTask
  EXPECT_EQ(started[4]->outcome, StartOutcome::kCancelled);
  EXPECT_EQ(started[4]->attempt, 0);

  EXPECT_EQ(Status(tasks_[0].id), "FINISHED");
  EXPECT_EQ(Status(tasks_[1].id), "FAILED");
  EXPECT_EQ(Status(tasks_[2].id), "STARTED");
  EXPECT_EQ(Status(unknown.task_id), "<none>");
  EXPECT_EQ(Status(cancelled.task_id), "CANCELLED");
  EXPECT_EQ(Int("SELECT COUNT(*) FROM run_process WHERE worker = 'worker-b'"), 1);
  EXPECT_EQ(Int("SELECT SUM(attempt) FROM run_process WHERE run_id = ?", {run_.ToString()}), 4);
  EXPECT_EQ(RunInt("task_count"), 3);
  ExpectCountsMatchRows(run_);
  ExpectCountsMatchRows(cancelled_run);
}

TEST_F(TaskStoreTest, EmptyBatchesDoNotTouchTheDatabase) {
  MysqlTaskStore store(session());
  session().Disconnect();
  EXPECT_TRUE(contract::StartTasks(store, {}, "w").empty());
  EXPECT_TRUE(contract::FinishTasks(store, {}).empty());
  EXPECT_FALSE(session().connected());
}

TEST_F(TaskStoreTest, RecordBatchFinishesSomeAndStartsOthersInOneGo) {
  MysqlTaskStore store(session());
  MysqlRunStore(session()).MarkRunning(run_);
  const auto messages = MessagesOf(run_, tasks_);
  ASSERT_EQ(store.StartTask(messages[0], "w").attempt, 1);
  const TaskResult a{"ref", "a"};
  // Task 2 is both finished (QUEUED: any delivery may finish it) and
  // started: finishes go first, so its start is told it finished.
  const BatchRecord record = store.RecordBatch({{&messages[0], &a}, {&messages[2], &a}},
                                               {&messages[1], &messages[2]}, "w2");
  EXPECT_EQ(record.finished, (std::vector<bool>{true, true}));
  ASSERT_EQ(record.started.size(), 2U);
  ASSERT_TRUE(record.started[0].has_value());
  EXPECT_EQ(record.started[0]->outcome, StartOutcome::kStarted);
  EXPECT_EQ(record.started[0]->attempt, 1);
  ASSERT_TRUE(record.started[1].has_value());
  EXPECT_EQ(record.started[1]->outcome, StartOutcome::kAlreadyFinished);
  EXPECT_EQ(Status(tasks_[0].id), "FINISHED");
  EXPECT_EQ(Status(tasks_[1].id), "STARTED");
  EXPECT_EQ(Status(tasks_[2].id), "FINISHED");
  EXPECT_EQ(RunInt("tasks_finished"), 2);
  EXPECT_TRUE(store.RecordBatch({}, {}, "w").started.empty());
  ExpectCountsMatchRows(run_);
}

// One batch statement finishes tasks of different computations: each row
// keeps its own computation and body, in the row and through task_result.
// The STARTED counts per run and worker (run_worker) are changed by every
// write that moves a task into or out of STARTED, in the batch forms and
// the single ones, by workers that take each other's tasks over
// (redeliveries), through failures, requeues, an operator's retry and a
// cancel. A seeded random walk of such writes over a run of 40 tasks by 3
// workers: after each one the counts equal the rows, and dcp status's
// STARTED and stale figures the rows' too.
TEST_F(TaskStoreTest, StartedCountsFollowEveryWriteOfWorkersThatTakeEachOthersTasks) {
  const RunId run = RunId::New();
  const auto planned = PlanTasks(40);
  MysqlRunStore runs(session());
  runs.CreateRun(MakeRun(run), planned);
  runs.MarkRunning(run);
  MysqlTaskStore store(session());
  std::vector<TaskMessage> messages;
  for (const auto& t : planned) messages.push_back({run, t.id, t.selection, t.start, t.end});
  const std::vector<std::string> workers = {"w-0", "w-1", "w-2"};
  const TaskResult result{"ref", "{}"};
  std::mt19937 random(16);
  const auto pick = [&](std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(random);
  };
  const auto some = [&] {
    std::vector<const TaskMessage*> chosen;
    for (std::size_t k = 1 + pick(6); k > 0; --k)
      chosen.push_back(&messages[pick(messages.size())]);
    return chosen;
  };
  const auto attempt_of = [&](const TaskMessage& m) {
    return static_cast<int>(
        Int("SELECT attempt FROM run_process WHERE task_id = ?", {m.task_id.ToString()}));
  };
  const auto started_rows = [&](const std::string& where) {
    return Int(
        "SELECT COUNT(*) FROM run_process WHERE run_id = ? AND task_status = 'STARTED'" + where,
        {run.ToString()});
  };
  for (int step = 0; step < 300 && !HasFailure(); ++step) {
    const std::string& worker = workers[pick(workers.size())];
    const TaskMessage& one = messages[pick(messages.size())];
    switch (pick(step == 200 ? 1 : 8)) {
      case 0:
        if (step == 200) {
          runs.CancelRun(run);
        } else {
          runs.RequeueFailed(run);  // the operator's retry: FAILED -> QUEUED
        }
        break;
      case 1:
      case 2:
        store.RecordBatch({}, some(), worker);
        break;
      case 3: {
        std::vector<FinishItem> finish;
        for (const TaskMessage* m : some()) finish.push_back({m, &result});
        store.RecordBatch(finish, some(), worker);
        break;
      }
      case 4:
        store.StartTask(one, worker);
        break;
      case 5:
        store.FinishTask(one, result);
        break;
      case 6:
        store.FailTask(one.task_id, run, attempt_of(one), "boom");
        break;
      default:
        store.RequeueTask(one.task_id, attempt_of(one), "again");
        break;
    }
    ExpectCountsMatchRows(run);
    EXPECT_EQ(runs.GetRun(run)->counts.started, started_rows("")) << "step " << step;
  }
  EXPECT_GT(started_rows(""), 0);  // the walk ends with tasks in flight, to count as stale
  // w-0 alive, w-1 stopped, w-2 never seen (pruned): the STARTED tasks of
  // the two are stale.
  session().Execute(
      "INSERT INTO worker (worker_id, host, pid, started_at, last_seen, stopped_at) VALUES "
      "('w-0', 'h', 1, NOW(6), NOW(6), NULL), ('w-1', 'h', 2, NOW(6), NOW(6), NOW(6))");
  EXPECT_EQ(runs.GetRun(run)->stale, started_rows(" AND worker IN ('w-1', 'w-2')"));
}

TEST_F(TaskStoreTest, ABatchOfMixedComputationsKeepsEachTasksOwn) {
  MysqlTaskStore store(session());
  MysqlRunStore(session()).MarkRunning(run_);
  const auto messages = MessagesOf(run_, tasks_);
  const TaskResult a{"ref", "body a"};
  const TaskResult b{"exec", "body 'b' \\ ?"};
  const BatchRecord record =
      store.RecordBatch({{&messages[0], &a}, {&messages[1], &b}, {&messages[2], &a}}, {}, "w");
  EXPECT_EQ(record.finished, (std::vector<bool>{true, true, true}));
  const auto row = [&](const TaskId& id) {
    return Str(
        "SELECT CONCAT(computation, '|', result) FROM run_process WHERE task_key = "
        "UNHEX(REPLACE(?, '-', ''))",
        {id.ToString()});
  };
  EXPECT_EQ(row(tasks_[0].id), "ref|body a");
  EXPECT_EQ(row(tasks_[1].id), "exec|body 'b' \\ ?");
  EXPECT_EQ(row(tasks_[2].id), "ref|body a");
  EXPECT_EQ(Str("SELECT CONCAT(computation, '|', body) FROM task_result WHERE task_id = ?",
                {tasks_[1].id.ToString()}),
            "exec|body 'b' \\ ?");
  ExpectCountsMatchRows(run_);
}

TEST_F(TaskStoreTest, FinishTasksSpansRuns) {
  MysqlTaskStore store(session());
  MysqlRunStore(session()).MarkRunning(run_);
  const RunId other = RunId::New();
  const auto other_messages = NewRunningRun(session(), other, 2);
  auto messages = MessagesOf(run_, tasks_);
  messages.insert(messages.begin() + 1, other_messages.begin(), other_messages.end());
  const auto pointers = Pointers(messages);
  contract::StartTasks(store, pointers, "w");
  EXPECT_EQ(contract::FinishTasks(store, Finishing(pointers, {"ref", "r"})),
            std::vector<bool>(5, true));
  EXPECT_EQ(RunStatusText(), "FINISHED");
  EXPECT_EQ(Str("SELECT status FROM run WHERE run_id = ?", {other.ToString()}), "FINISHED");
  EXPECT_EQ(Int("SELECT tasks_finished FROM run WHERE run_id = ?", {other.ToString()}), 2);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM task_result WHERE run_id = ?", {other.ToString()}), 2);
  ExpectCountsMatchRows(run_);
  ExpectCountsMatchRows(other);
}

TEST_F(TaskStoreTest, BatchesOfAnySizeRecordEveryTask) {
  MysqlTaskStore store(session());
  const RunId run = RunId::New();
  const auto messages = NewRunningRun(session(), run, 300 + 1 + 3 + 7 + 9 + 130);
  std::map<std::string, std::string> bodies;
  std::vector<TaskResult> results;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    // Bodies of unequal size, batches around the chunk size (256).
    results.push_back({"ref", std::string(i % 7 * 10, 'x') + std::to_string(i)});
    bodies[messages[i].task_id.ToString()] = results.back().body;
  }
  std::size_t begin = 0;
  for (const std::size_t size : {300U, 1U, 3U, 7U, 9U, 130U}) {
    SCOPED_TRACE(size);
    std::vector<const TaskMessage*> batch;
    std::vector<FinishItem> items;
    for (std::size_t i = begin; i < begin + size; ++i) {
      batch.push_back(&messages[i]);
      items.push_back({&messages[i], &results[i]});
    }
    begin += size;
    const auto started = contract::StartTasks(store, batch, "w");
    ASSERT_EQ(started.size(), size);
    for (const auto& s : started) {
      ASSERT_TRUE(s.has_value());
      EXPECT_EQ(s->outcome, StartOutcome::kStarted);
      EXPECT_EQ(s->attempt, 1);
    }
    EXPECT_EQ(Int("SELECT COUNT(*) FROM run_process WHERE run_id = ? AND task_status = 'STARTED'",
                  {run.ToString()}),
              static_cast<std::int64_t>(size));
    EXPECT_EQ(contract::FinishTasks(store, items), std::vector<bool>(size, true));
    EXPECT_EQ(Int("SELECT tasks_finished FROM run WHERE run_id = ?", {run.ToString()}),
              static_cast<std::int64_t>(begin));
  }
  EXPECT_EQ(Str("SELECT status FROM run WHERE run_id = ?", {run.ToString()}), "FINISHED");
  EXPECT_EQ(Int("SELECT SUM(attempt) FROM run_process WHERE run_id = ?", {run.ToString()}),
            static_cast<std::int64_t>(messages.size()));
  std::map<std::string, std::string> stored;
  session().Query("SELECT task_id, body FROM task_result WHERE run_id = ?", {run.ToString()},
                  [&](const Row& r) { stored[r.String(0)] = r.String(1); });
  EXPECT_EQ(stored, bodies);
  ExpectCountsMatchRows(run);
}

TEST_F(TaskStoreTest, FinishTasksSplitsLargeResults) {
  MysqlTaskStore store(session());
  const RunId run = RunId::New();
  const auto messages = NewRunningRun(session(), run, 100);
  const auto pointers = Pointers(messages);
  std::vector<FinishItem> items;
  std::vector<TaskResult> results;
  results.reserve(messages.size());
  for (std::size_t i = 0; i < messages.size(); ++i) {
    // 20 MiB in all, more than max_allowed_packet (16 MiB by default), in
    // bodies small enough to travel inside the statement's packet.
    results.push_back({"ref", std::string(200 << 10, static_cast<char>('A' + i % 26))});
    items.push_back({pointers[i], &results.back()});
  }
  contract::StartTasks(store, pointers, "w");
  EXPECT_EQ(contract::FinishTasks(store, items), std::vector<bool>(100, true));
  for (std::size_t i = 0; i < messages.size(); ++i) {
    EXPECT_EQ(Str("SELECT CONCAT(LENGTH(body), LEFT(body, 1)) FROM task_result WHERE task_id = ?",
                  {messages[i].task_id.ToString()}),
              std::to_string(200 << 10) + static_cast<char>('A' + i % 26));
  }
  EXPECT_EQ(Str("SELECT status FROM run WHERE run_id = ?", {run.ToString()}), "FINISHED");
}

// The same deliveries recorded with the batch forms and with the single
// forms leave the same rows.
TEST_F(TaskStoreTest, BatchFormsLeaveTheRowsOfTheSingleForms) {
  MysqlTaskStore store(session());
  const RunId batch_run = RunId::New();
  const RunId single_run = RunId::New();
  const auto batch = NewRunningRun(session(), batch_run, 6);
  const auto single = NewRunningRun(session(), single_run, 6);
  const TaskResult r{"ref", "r"};
  // Index lists of the deliveries, in order; each step is one batch.
  const std::vector<std::vector<std::size_t>> starts = {{0, 1, 2, 3}, {1, 2, 4}, {3, 5}, {4}};
  const std::vector<std::vector<std::size_t>> finishes = {{0, 1}, {2, 0, 4}, {3, 5}, {4}};
  const std::vector<std::optional<std::size_t>> fails = {std::nullopt, 3, std::nullopt,
                                                         std::nullopt};
  for (std::size_t step = 0; step < starts.size(); ++step) {
    SCOPED_TRACE(step);
    std::vector<const TaskMessage*> batch_tasks;
    for (std::size_t i : starts[step]) batch_tasks.push_back(&batch[i]);
    const auto batch_started = StartAll(store, batch_tasks, "w");
    for (std::size_t k = 0; k < starts[step].size(); ++k) {
      const auto single_started = store.StartTask(single[starts[step][k]], "w");
      EXPECT_EQ(batch_started[k].outcome, single_started.outcome);
      EXPECT_EQ(batch_started[k].attempt, single_started.attempt);
    }
    if (fails[step]) {
      store.FailTask(batch[*fails[step]].task_id, batch_run, 1, "boom");
      store.FailTask(single[*fails[step]].task_id, single_run, 1, "boom");
    }
    std::vector<FinishItem> items;
    for (std::size_t i : finishes[step]) items.push_back({&batch[i], &r});
    const auto batch_counted = contract::FinishTasks(store, items);
    for (std::size_t k = 0; k < finishes[step].size(); ++k) {
      EXPECT_EQ(batch_counted[k], store.FinishTask(single[finishes[step][k]], r));
    }
  }
  const auto rows = [&](const RunId& run) {
    std::vector<std::string> text;
    session().Query(
        "SELECT CONCAT_WS('|', p.seq, p.task_status, p.attempt, p.worker, r.body) "
        "FROM run_process p LEFT JOIN task_result r ON r.task_id = p.task_id "
        "WHERE p.run_id = ? ORDER BY p.seq",
        {run.ToString()}, [&](const Row& row) { text.push_back(row.String(0)); });
    session().Query(
        "SELECT CONCAT_WS('|', status, task_count, tasks_finished, tasks_failed, "
        "tasks_cancelled) FROM run WHERE run_id = ?",
        {run.ToString()}, [&](const Row& row) { text.push_back(row.String(0)); });
    return text;
  };
  EXPECT_EQ(rows(batch_run), rows(single_run));
  EXPECT_EQ(Str("SELECT status FROM run WHERE run_id = ?", {batch_run.ToString()}), "FINISHED");
  ExpectCountsMatchRows(batch_run);
}

// Two workers starting and finishing overlapping batches at once: each start
// is a new attempt, each task is counted once.
TEST_F(TaskStoreTest, OverlappingBatchesOfTwoSessions) {
  constexpr int kTasks = 60;
  constexpr int kRounds = 5;
  const RunId run = RunId::New();
  const auto messages = NewRunningRun(session(), run, kTasks);
  const auto pointers = Pointers(messages);
  // Session 0 takes tasks [0, 40), session 1 [20, 60) in reverse.
  const auto share = [&](int i) {
    std::vector<const TaskMessage*> batch(pointers.begin() + (i == 0 ? 0 : 20),
                                          pointers.begin() + (i == 0 ? 40 : 60));
    if (i == 1) std::reverse(batch.begin(), batch.end());
    return batch;
  };
  std::mutex mutex;
  std::vector<std::string> errors;
  std::map<std::string, std::vector<int>> attempts;  // task id -> attempts returned
  int counted = 0;
  const auto retried = [&](auto&& op) {
    for (;;) {
      try {
        return op();
      } catch (const DbError& e) {
        // A deadlock that outlived RunTransaction's retries is retried here,
        // as the worker's callers do; anything else fails the test.
        if (!e.transient()) throw;
      }
    }
  };
  std::barrier sync(2);
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&, i] {
      DriverThread driver_thread;
      try {
        auto s = NewSession();
        MysqlTaskStore store(*s);
        const auto batch = share(i);
        s->QueryInt("SELECT 1");  // connect before the race
        for (int round = 0; round < kRounds; ++round) {
          sync.arrive_and_wait();
          const auto started = retried([&] { return contract::StartTasks(store, batch, "w"); });
          std::lock_guard lock(mutex);
          for (std::size_t k = 0; k < batch.size(); ++k) {
            if (!started[k] || started[k]->outcome != StartOutcome::kStarted) {
              errors.push_back("not started");
            } else {
              attempts[batch[k]->task_id.ToString()].push_back(started[k]->attempt);
            }
          }
        }
        sync.arrive_and_wait();
        const auto finished = retried([&] {
          return contract::FinishTasks(store, Finishing(batch, {"ref", "r"}));
        });
        std::lock_guard lock(mutex);
        counted += static_cast<int>(std::count(finished.begin(), finished.end(), true));
      } catch (const std::exception& e) {
        std::lock_guard lock(mutex);
        errors.push_back(e.what());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors, std::vector<std::string>{});
  EXPECT_EQ(counted, kTasks);
  for (int k = 0; k < kTasks; ++k) {
    const std::string id = messages[static_cast<std::size_t>(k)].task_id.ToString();
    auto got = attempts[id];
    std::sort(got.begin(), got.end());
    std::vector<int> expected((k >= 20 && k < 40) ? 2 * kRounds : kRounds);
    std::iota(expected.begin(), expected.end(), 1);
    EXPECT_EQ(got, expected) << "task " << k;
    EXPECT_EQ(Int("SELECT attempt FROM run_process WHERE task_id = ?", {id}),
              static_cast<std::int64_t>(expected.size()));
  }
  EXPECT_EQ(Str("SELECT status FROM run WHERE run_id = ?", {run.ToString()}), "FINISHED");
  ExpectCountsMatchRows(run);
}

}  // namespace
}  // namespace dcp::mysql
