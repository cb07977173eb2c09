// RunStore's operator side on MySQL: listings, cancel, completion claims.
#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <functional>
#include <thread>

#include "mysql/driver.hpp"
#include "mysql/mysql_run_store.hpp"
#include "mysql/mysql_task_store.hpp"
#include "mysql/mysql_worker_registry.hpp"
#include "test_database.hpp"

namespace dcp::mysql {
namespace {

using testing::MakeRun;
using testing::PlanTasks;

class RunOperatorTest : public testing::DatabaseTest {
 protected:
  TaskMessage Message(const RunId& run, const PlannedTask& t) const {
    return TaskMessage{run, t.id, t.selection, t.start, t.end};
  }
  // A RUNNING run of `n` tasks.
  RunId Running(const std::vector<PlannedTask>& tasks) {
    const RunId run = RunId::New();
    MysqlRunStore store(session());
    store.CreateRun(MakeRun(run), tasks);
    store.MarkRunning(run);
    return run;
  }
};

// The counts of GetRun and ListRuns come from the run's counters and its
// STARTED rows, not from counting its rows: they must still equal the rows,
// in every status, for a run of dcp and a run of another producer.
TEST_F(RunOperatorTest, CountsFromTheCountersEqualTheRowsInEveryStatus) {
  MysqlRunStore store(session());
  MysqlTaskStore tasks(session());
  const auto planned = PlanTasks(7);
  const RunId run = Running(planned);
  const auto start = [&](const TaskMessage& m) { return tasks.StartTask(m, "w1").attempt; };
  tasks.StartTask(Message(run, planned[0]), "w1");
  tasks.FinishTask(Message(run, planned[0]), {"ref", "x"});
  ASSERT_EQ(tasks.FailTask(planned[1].id, run, start(Message(run, planned[1])), "boom"),
            WriteOutcome::kApplied);
  start(Message(run, planned[2]));
  ASSERT_EQ(tasks.RequeueTask(planned[3].id, start(Message(run, planned[3])), "again"),
            WriteOutcome::kApplied);
  // One more task than planned (another producer's message for this run).
  const TaskMessage extra{run, TaskId::New(), "x", planned[0].start, planned[0].end};
  start(extra);
  // A run of another producer, one task waiting for its retry.
  const RunId external = RunId::New();
  const TaskMessage theirs{external, TaskId::New(), "s", planned[0].start, planned[0].end};
  ASSERT_EQ(tasks.RequeueTask(theirs.task_id, start(theirs), "again"), WriteOutcome::kApplied);

  const auto rows = [&](const RunId& id) {
    TaskCounts c;
    for (const auto& [status, field] :
         std::vector<std::pair<const char*, std::int64_t*>>{{"QUEUED", &c.queued},
                                                            {"STARTED", &c.started},
                                                            {"FINISHED", &c.finished},
                                                            {"FAILED", &c.failed},
                                                            {"CANCELLED", &c.cancelled}}) {
      *field = Int("SELECT COUNT(*) FROM run_process WHERE run_id = ? AND task_status = ?",
                   {id.ToString(), status});
    }
    return c;
  };
  const auto expect_equal = [](const TaskCounts& got, const TaskCounts& want, const char* what) {
    EXPECT_EQ(got.queued, want.queued) << what;
    EXPECT_EQ(got.started, want.started) << what;
    EXPECT_EQ(got.finished, want.finished) << what;
    EXPECT_EQ(got.failed, want.failed) << what;
    EXPECT_EQ(got.cancelled, want.cancelled) << what;
  };
  const TaskCounts ours = rows(run);
  EXPECT_EQ(ours.queued, 4);  // three never started, one waiting for its retry
  EXPECT_EQ(ours.started, 2);
  expect_equal(store.GetRun(run)->counts, ours, "GetRun");
  expect_equal(rows(external), TaskCounts{1, 0, 0, 0, 0}, "the producer's rows");
  expect_equal(store.GetRun(external)->counts, rows(external), "GetRun of the producer's run");
  for (const RunSummary& listed : store.ListRuns(10)) {
    expect_equal(listed.counts, rows(listed.id), "ListRuns");
  }
  // Cancelled: QUEUED become CANCELLED, counted by the counter.
  store.CancelRun(run);
  expect_equal(store.GetRun(run)->counts, rows(run), "GetRun after cancel");
  EXPECT_EQ(rows(run).cancelled, 4);
}

// A run's FAILED tasks (the monitor lists them at each refresh) are read by
// their own index: the rows read do not grow with the run. A listing by a
// status of no index reads the run's rows. Counted by the session's
// Handler_read_* (rows read), less what reading them costs by itself.
TEST_F(RunOperatorTest, ARunsFailedTasksAreReadByTheirIndexNotByTheRunsRows) {
  const auto planned = PlanTasks(3000);
  const RunId run = Running(planned);
  MysqlRunStore store(session());
  MysqlTaskStore tasks(session());
  for (const std::size_t i : {2000U, 10U}) {
    const TaskMessage m = Message(run, planned[i]);
    ASSERT_EQ(tasks.FailTask(m.task_id, run, tasks.StartTask(m, "w1").attempt, "boom"),
              WriteOutcome::kApplied);
  }
  const auto reads = [&] {
    return Int(
        "SELECT SUM(VARIABLE_VALUE) FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME "
        "LIKE 'HANDLER_READ%'");
  };
  const auto rows_read = [&](const std::function<void()>& query) {
    const std::int64_t before = reads();
    const std::int64_t itself = reads() - before;  // the count's own reads
    const std::int64_t start = reads();
    query();
    return reads() - start - itself;
  };
  std::vector<TaskView> failed;
  const std::int64_t by_index =
      rows_read([&] { failed = store.ListTasks(run, TaskStatus::kFailed, 100, 0); });
  ASSERT_EQ(failed.size(), 2U);
  EXPECT_EQ(failed[0].id, planned[10].id);  // in seq order
  EXPECT_EQ(failed[1].id, planned[2000].id);
  EXPECT_LT(by_index, 20);
  EXPECT_GT(rows_read([&] { store.ListTasks(run, TaskStatus::kCancelled, 100, 0); }), 3000);
}

TEST_F(RunOperatorTest, ListRunsNewestFirstWithCounts) {
  MysqlRunStore store(session());
  MysqlTaskStore tasks(session());
  const auto first_tasks = PlanTasks(2);
  const RunId first = Running(first_tasks);
  const RunId second = Running(PlanTasks(3));
  tasks.StartTask(Message(first, first_tasks[0]), "w1");
  tasks.FinishTask(Message(first, first_tasks[0]), {"ref", "x"});
  const auto runs = store.ListRuns(10);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].id, second);
  EXPECT_EQ(runs[0].counts.queued, 3);
  EXPECT_EQ(runs[1].id, first);
  EXPECT_EQ(runs[1].counts.finished, 1);
  EXPECT_EQ(runs[1].counts.queued, 1);
  EXPECT_EQ(store.ListRuns(1).size(), 1u);
}

TEST_F(RunOperatorTest, RunTimesOfAJobSkipOtherJobsRunsHoweverMany) {
  MysqlRunStore store(session());
  EXPECT_FALSE(store.RunTimesOf("reference").newest_created);
  const RunId old_active = Running(PlanTasks(1));
  const RunId finished = Running(PlanTasks(1));
  store.CancelRun(finished);
  for (int i = 0; i < 120; ++i) {  // newer runs of another job than any listing would show
    NewRun other = MakeRun(RunId::New());
    other.context.job_name = "other";
    store.CreateRun(other, PlanTasks(1));
  }
  const auto created = [&](const RunId& run) { return store.GetRun(run)->created_at; };
  const JobRunTimes times = store.RunTimesOf("reference");
  EXPECT_EQ(times.newest_created, created(finished));
  EXPECT_EQ(times.oldest_active_created, created(old_active));
  store.CancelRun(old_active);
  EXPECT_FALSE(store.RunTimesOf("reference").oldest_active_created);
  EXPECT_TRUE(store.RunTimesOf("other").oldest_active_created) << "PUBLISHING is active";
}

TEST_F(RunOperatorTest, ListTasksFiltersByStatusAndShowsWorkerAndError) {
  MysqlRunStore store(session());
  MysqlTaskStore tasks(session());
  const auto planned = PlanTasks(3);
  const RunId run = Running(planned);
  tasks.StartTask(Message(run, planned[1]), "w1");
  tasks.FailTask(planned[1].id, run, 1, "boom <b>");
  const auto all = store.ListTasks(run, std::nullopt, 100, 0);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].seq, 1);
  EXPECT_EQ(all[1].status, TaskStatus::kFailed);
  const auto failed = store.ListTasks(run, TaskStatus::kFailed, 100, 0);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].id, planned[1].id);
  EXPECT_EQ(failed[0].error, "boom <b>");
  EXPECT_EQ(failed[0].worker, "w1");
  EXPECT_EQ(failed[0].attempt, 1);
  EXPECT_EQ(failed[0].selection, planned[1].selection);
  EXPECT_EQ(failed[0].start, planned[1].start);
  EXPECT_TRUE(failed[0].started_at.has_value());
  EXPECT_TRUE(failed[0].finished_at.has_value());
  EXPECT_EQ(store.ListTasks(run, std::nullopt, 2, 0).size(), 2u);
}

TEST_F(RunOperatorTest, ListWorkersShowsHeartbeats) {
  MysqlWorkerRegistry registry(session());
  const std::string task = "0b9e1c52-8d2b-4f0e-9a43-1f7d2c0e6a11";
  registry.Beat({"w1", "host-a", 11, 5, 2, task});
  registry.Beat({"w2", "host-b", 12, 0, 1, task});
  registry.Leave("w2");
  const auto workers = MysqlRunStore(session()).ListWorkers(std::nullopt, 100);
  ASSERT_EQ(workers.size(), 2u);
  const auto& w1 = workers[0].worker_id == "w1" ? workers[0] : workers[1];
  const auto& w2 = workers[0].worker_id == "w1" ? workers[1] : workers[0];
  EXPECT_EQ(w1.host, "host-a");
  EXPECT_EQ(w1.tasks_done, 5);
  EXPECT_EQ(w1.in_flight, 2);
  EXPECT_EQ(w1.current_task, task);
  EXPECT_FALSE(w1.stopped_at.has_value());
  EXPECT_TRUE(w2.stopped_at.has_value());
  EXPECT_EQ(w2.current_task, std::nullopt) << "a stopped worker computes nothing";
  registry.Beat({"w1", "host-a", 11, 6, 0, std::nullopt});
  const auto idle = MysqlRunStore(session()).ListWorkers(std::nullopt, 100);
  for (const auto& w : idle) EXPECT_EQ(w.current_task, std::nullopt) << w.worker_id;
}

// The monitor's snapshot lists live workers only, and old rows are pruned:
// autoscaled pods leave one row each.
TEST_F(RunOperatorTest, LiveWorkersAndPruningOfOldRows) {
  MysqlWorkerRegistry registry(session());
  registry.Beat({"live", "h", 1, 0, 0, std::nullopt});
  registry.Beat({"left", "h", 2, 0, 0, std::nullopt});
  registry.Leave("left");
  registry.Beat({"lost", "h", 3, 0, 0, std::nullopt});
  session().Execute(
      "UPDATE worker SET last_seen = NOW(6) - INTERVAL 2 HOUR WHERE worker_id IN ('lost', 'left')");
  MysqlRunStore store(session());
  const auto live = store.ListWorkers(std::chrono::minutes(5), 100);
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].worker_id, "live");
  EXPECT_EQ(store.ListWorkers(std::nullopt, 100).size(), 3u);
  EXPECT_EQ(store.ListWorkers(std::nullopt, 2).size(), 2u);
  EXPECT_EQ(store.PruneWorkers(std::chrono::hours(1), 1), 1) << "bounded by its limit";
  EXPECT_EQ(store.PruneWorkers(std::chrono::hours(1), 100), 1);
  EXPECT_EQ(store.PruneWorkers(std::chrono::hours(1), 100), 0);
  const auto kept = store.ListWorkers(std::nullopt, 100);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].worker_id, "live");
}

TEST_F(RunOperatorTest, ConcurrentClaimersClaimOnce) {
  constexpr int kThreads = 8;
  for (int round = 0; round < 5; ++round) {
    MysqlRunStore(session()).CancelRun(Running(PlanTasks(1)));
    std::atomic<int> claims{0};
    std::barrier sync(kThreads);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&] {
        DriverThread driver_thread;
        auto s = NewSession();
        s->QueryInt("SELECT 1");  // connect before the race
        MysqlRunStore store(*s);
        sync.arrive_and_wait();
        if (store.ClaimCompletion(std::chrono::seconds(60))) ++claims;
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(claims.load(), 1) << "round " << round;
  }
}

}  // namespace
}  // namespace dcp::mysql
