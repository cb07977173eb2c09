// Races between sessions on the same rows: what two workers (or a worker
// and a redelivery) do at the same moment must still count once.
#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <thread>

#include "mysql/driver.hpp"
#include "mysql/lease_lock.hpp"
#include "mysql/mysql_run_store.hpp"
#include "mysql/mysql_task_store.hpp"
#include "mysql/run_completion.hpp"
#include "test_database.hpp"

namespace dcp::mysql {
namespace {

using testing::PlanTasks;

using ConcurrencyTest = testing::DatabaseTest;

// Runs body(i, session) on n threads, each with its own session, released
// together.
template <class Body>
void OnThreads(const ConcurrencyTest& test, int n,
               const std::function<std::unique_ptr<Session>()>& new_session, Body body) {
  (void)test;
  std::barrier sync(n);
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      DriverThread driver_thread;
      auto s = new_session();
      s->QueryInt("SELECT 1");  // connect before the race
      sync.arrive_and_wait();
      body(i, *s);
    });
  }
  for (auto& t : threads) t.join();
}

TEST_F(ConcurrencyTest, SameTaskFinishedByTwoSessionsCountsOnce) {
  constexpr int kRounds = 10;
  const RunId run = RunId::New();
  const auto tasks = PlanTasks(kRounds);
  MysqlRunStore(session()).CreateRun(testing::MakeRun(run), tasks);
  MysqlRunStore(session()).MarkRunning(run);
  for (const auto& t : tasks) {
    const TaskMessage m{run, t.id, t.selection, t.start, t.end};
    std::atomic<int> finished{0};
    OnThreads(
        *this, 2, [this] { return NewSession(); },
        [&](int i, Session& s) {
          MysqlTaskStore store(s);
          store.StartTask(m, "w" + std::to_string(i));
          if (store.FinishTask(m, {"ref", "by " + std::to_string(i)})) ++finished;
        });
    EXPECT_EQ(finished.load(), 1);
  }
  EXPECT_EQ(Int("SELECT tasks_finished FROM run WHERE run_id = ?", {run.ToString()}), kRounds);
  EXPECT_EQ(Str("SELECT status FROM run WHERE run_id = ?", {run.ToString()}), "FINISHED");
  ExpectCountsMatchRows(run);
}

TEST_F(ConcurrencyTest, LastTwoTasksEndingTogetherCompleteTheRunOnce) {
  constexpr int kRounds = 8;
  for (int round = 0; round < kRounds; ++round) {
    const RunId run = RunId::New();
    const auto tasks = PlanTasks(2);
    MysqlRunStore(session()).CreateRun(testing::MakeRun(run), tasks);
    MysqlRunStore(session()).MarkRunning(run);
    OnThreads(
        *this, 2, [this] { return NewSession(); },
        [&](int i, Session& s) {
          const auto& t = tasks[static_cast<std::size_t>(i)];
          const TaskMessage m{run, t.id, t.selection, t.start, t.end};
          MysqlTaskStore store(s);
          store.StartTask(m, "w");
          if (round % 2 == 1 && i == 1) {
            store.FailTask(t.id, run, 1, "failed");
          } else {
            store.FinishTask(m, {"ref", "r"});
          }
        });
    EXPECT_EQ(Str("SELECT status FROM run WHERE run_id = ?", {run.ToString()}),
              round % 2 == 1 ? "FAILED" : "FINISHED");
    ExpectCountsMatchRows(run);
  }
}

TEST_F(ConcurrencyTest, OnlyOneCallerCompletesARun) {
  const RunId run = RunId::New();
  MysqlRunStore(session()).CreateRun(testing::MakeRun(run), PlanTasks(1));
  session().Execute("UPDATE run SET status = 'RUNNING', tasks_finished = 1 WHERE run_id = ?",
                    {run.ToString()});
  std::atomic<int> completed{0};
  OnThreads(
      *this, 4, [this] { return NewSession(); },
      [&](int, Session& s) {
        if (CompleteRunIfDone(s, run.ToString())) ++completed;
      });
  EXPECT_EQ(completed.load(), 1);
}

TEST_F(ConcurrencyTest, DuplicateExternalDeliveriesCreateOneTask) {
  const TaskMessage m{RunId::New(), TaskId::New(), "1", testing::Minute("2023-01-01 00:00"),
                      testing::Minute("2023-01-01 23:59")};
  std::atomic<int> started{0};
  OnThreads(
      *this, 3, [this] { return NewSession(); },
      [&](int, Session& s) {
        if (MysqlTaskStore(s).StartTask(m, "w").outcome == StartOutcome::kStarted) ++started;
      });
  EXPECT_EQ(started.load(), 3);
  EXPECT_EQ(Int("SELECT attempt FROM run_process WHERE task_id = ?", {m.task_id.ToString()}), 3);
  EXPECT_EQ(Int("SELECT COUNT(*) FROM run"), 1);
}

// Sessions taking one lock at the same moment, when it has no row and when
// its row's lease has expired (a dead holder's): exactly one gets it.
TEST_F(ConcurrencyTest, OfSessionsTakingOneLockAtOnceOneWins) {
  constexpr int kRounds = 10;
  constexpr int kTakers = 3;
  for (int round = 0; round < kRounds; ++round) {
    session().Execute("DELETE FROM dcp_lock");
    if (round % 2 == 1) {
      session().Execute(
          "INSERT INTO dcp_lock VALUES ('race', 'dead', NOW(6) - INTERVAL 1 MINUTE, "
          "NOW(6) - INTERVAL 1 SECOND)");
    }
    std::atomic<int> won{0};
    std::barrier tried(kTakers);  // the winner holds on until every one has tried
    OnThreads(
        *this, kTakers, [this] { return NewSession(); },
        [&](int, Session& s) {
          LeaseLock lock(s, "race", std::chrono::seconds(30));
          if (lock.Acquire(std::chrono::milliseconds(0))) ++won;
          tried.arrive_and_wait();
        });
    EXPECT_EQ(won.load(), 1) << "round " << round;
  }
  EXPECT_EQ(Int("SELECT COUNT(*) FROM dcp_lock"), 0);  // the winners released it
}

}  // namespace
}  // namespace dcp::mysql
