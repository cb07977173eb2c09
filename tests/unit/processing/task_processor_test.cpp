#include "processing/task_processor.hpp"

#include <gtest/gtest.h>

#include <atomic>

#include "fake_stores.hpp"

namespace dcp::processing {
namespace {

class CountingComputation final : public Computation {
 public:
  std::string_view name() const override { return "count"; }
  Result<std::string> Compute(const TaskMessage& task, const RunContext& run) override {
    ++calls;
    if (fail) return Error{"boom"};
    if (permanent) return Error{"no such selection", true};
    if (throws) throw std::runtime_error("bad alloc");
    return task.selection + "@" + run.time_zone + "\n";
  }
  std::atomic<int> calls{0};
  bool fail = false;
  bool throws = false;
  bool permanent = false;
};

class TaskProcessorTest : public ::testing::Test {
 protected:
  TaskMessage Message() {
    return TaskMessage{run, TaskId::New(), "S1-F1", *ParseLocalMinute("2024-01-01 00:00"),
                       *ParseLocalMinute("2024-01-31 23:59")};
  }
  Outcome Process(const TaskMessage& m) { return processor.Process(EncodeTaskMessage(m)); }

  fakes::FakeStore store;
  CountingComputation computation;
  RunContextCache contexts{RunContext{"UTC", "{}"}};
  runtime::Stopper stopper;
  runtime::DbRetry retry{stopper, runtime::RetrySettings{std::chrono::milliseconds(1),
                                                         std::chrono::milliseconds(2), 3}};
  TaskProcessor processor{store, computation, contexts, retry, ProcessorSettings{"w1", 3}};
  RunId run = RunId::New();
};

TEST_F(TaskProcessorTest, FinishesAndStoresResult) {
  const auto m = Message();
  const Outcome o = Process(m);
  EXPECT_EQ(o.action, Outcome::Action::kAck);
  EXPECT_EQ(o.kind, Outcome::Kind::kFinished);
  EXPECT_EQ(o.attempt, 1);
  EXPECT_EQ(store.tasks.at(m.task_id).status, TaskStatus::kFinished);
  EXPECT_EQ(store.results.at(m.task_id).body, "S1-F1@UTC\n");
  EXPECT_EQ(store.results.at(m.task_id).computation, "count");
}

TEST_F(TaskProcessorTest, ComputeLeavesTheFinishToTheCaller) {
  const auto m = Message();
  const auto started = store.StartTasks({&m}, "w1");  // as the worker's recorder does
  ASSERT_EQ(started.size(), 1U);
  ASSERT_TRUE(started[0].has_value());
  Outcome o = processor.Compute(m, started[0]);
  EXPECT_EQ(o.action, Outcome::Action::kFinish);
  EXPECT_EQ(o.attempt, 1);  // started once: by the batch, not again by Compute
  EXPECT_EQ(store.tasks.at(m.task_id).attempt, 1);
  EXPECT_EQ(store.tasks.at(m.task_id).status, TaskStatus::kStarted);
  ASSERT_TRUE(o.result.has_value());
  EXPECT_EQ(o.result->body, "S1-F1@UTC\n");

  const auto counted = store.FinishTasks({{&m, &*o.result}, {&m, &*o.result}});
  EXPECT_EQ(counted, (std::vector<bool>{true, false}));  // the duplicate is not counted
  o.Recorded(counted[0]);
  EXPECT_EQ(o.action, Outcome::Action::kAck);
  EXPECT_EQ(o.kind, Outcome::Kind::kFinished);
  EXPECT_EQ(store.tasks.at(m.task_id).status, TaskStatus::kFinished);
}

TEST_F(TaskProcessorTest, ComputeWithoutABatchStartStartsTheTaskItself) {
  const auto m = Message();
  const Outcome o = processor.Compute(m, std::nullopt);
  EXPECT_EQ(o.action, Outcome::Action::kFinish);
  EXPECT_EQ(store.tasks.at(m.task_id).attempt, 1);
  EXPECT_EQ(store.tasks.at(m.task_id).status, TaskStatus::kStarted);
}

TEST_F(TaskProcessorTest, ComputeSkipsWhatTheBatchFoundFinished) {
  const auto m = Message();
  const Outcome o = processor.Compute(m, StartResult{StartOutcome::kAlreadyFinished, 2});
  EXPECT_EQ(o.action, Outcome::Action::kAck);
  EXPECT_EQ(o.kind, Outcome::Kind::kSkipped);
  EXPECT_EQ(computation.calls, 0);
}

TEST_F(TaskProcessorTest, SkipsTaskAlreadyFinished) {
  const auto m = Message();
  ASSERT_EQ(Process(m).kind, Outcome::Kind::kFinished);
  const Outcome again = Process(m);
  EXPECT_EQ(again.action, Outcome::Action::kAck);
  EXPECT_EQ(again.kind, Outcome::Kind::kSkipped);
  EXPECT_EQ(computation.calls, 1);
}

TEST_F(TaskProcessorTest, AcksAndSkipsTaskOfCancelledRun) {
  const auto m = Message();
  const PlannedTask planned{m.task_id, 1, m.selection, m.start, m.end};
  store.CreateRun(NewRun{run, "manual", "{}", RunContext{"UTC", "{}"}}, {&planned, 1});
  store.MarkRunning(run);
  ASSERT_EQ(store.CancelRun(run).tasks_cancelled, 1);
  const Outcome o = Process(m);
  EXPECT_EQ(o.action, Outcome::Action::kAck);
  EXPECT_EQ(o.kind, Outcome::Kind::kSkipped);
  EXPECT_EQ(o.reason, "run cancelled");
  EXPECT_EQ(computation.calls, 0);
  EXPECT_EQ(store.tasks.at(m.task_id).status, TaskStatus::kCancelled);
  EXPECT_EQ(store.runs.at(run).status, RunStatus::kCancelled);
}

TEST_F(TaskProcessorTest, RetryScheduledAfterCancelCancelsTheTask) {
  computation.fail = true;
  const auto m = Message();
  const PlannedTask planned{m.task_id, 1, m.selection, m.start, m.end};
  store.CreateRun(NewRun{run, "manual", "{}", RunContext{"UTC", "{}"}}, {&planned, 1});
  store.MarkRunning(run);
  ASSERT_EQ(store.StartTask(m, "w0").outcome, StartOutcome::kStarted);  // in flight at cancel
  ASSERT_EQ(store.CancelRun(run).tasks_cancelled, 0);  // redelivered next: runs again
  EXPECT_EQ(Process(m).action, Outcome::Action::kRetry);
  EXPECT_EQ(store.tasks.at(m.task_id).status, TaskStatus::kCancelled);
  EXPECT_EQ(Process(m).kind, Outcome::Kind::kSkipped);
}

TEST_F(TaskProcessorTest, RecordsRowsForMessageOfAnotherProducer) {
  const auto m = Message();
  ASSERT_FALSE(store.runs.count(run));
  EXPECT_EQ(Process(m).kind, Outcome::Kind::kFinished);
  EXPECT_EQ(store.runs.at(run).info.trigger, "external");
  EXPECT_EQ(store.runs.at(run).info.context.time_zone, "UTC");  // the worker's fallback
}

TEST_F(TaskProcessorTest, DeadLettersMalformedMessageAndFailsReadableTask) {
  const auto task = TaskId::New();
  const Outcome o = processor.Process(R"({"run_id":")" + run.ToString() + R"(","task_id":")" +
                                      task.ToString() + R"(","selection":"S1-F1"})");
  EXPECT_EQ(o.action, Outcome::Action::kDeadLetter);
  EXPECT_EQ(o.kind, Outcome::Kind::kMalformed);
  EXPECT_NE(o.reason.find("start_date"), std::string::npos) << o.reason;
  EXPECT_EQ(store.tasks.at(task).status, TaskStatus::kFailed);
  EXPECT_EQ(computation.calls, 0);
}

TEST_F(TaskProcessorTest, DeadLettersGarbageWithoutTouchingStore) {
  const Outcome o = processor.Process("not json at all");
  EXPECT_EQ(o.action, Outcome::Action::kDeadLetter);
  EXPECT_TRUE(store.tasks.empty());
}

TEST_F(TaskProcessorTest, FailedComputationIsRetriedWithGrowingDelayThenFailed) {
  computation.fail = true;
  const auto m = Message();
  const Outcome first = Process(m);
  EXPECT_EQ(first.action, Outcome::Action::kRetry);
  EXPECT_EQ(first.retry_delay, std::chrono::seconds(5));
  EXPECT_EQ(store.tasks.at(m.task_id).status, TaskStatus::kQueued);
  EXPECT_EQ(store.tasks.at(m.task_id).error, "boom");
  const Outcome second = Process(m);
  EXPECT_EQ(second.action, Outcome::Action::kRetry);
  EXPECT_EQ(second.retry_delay, std::chrono::seconds(10));
  const Outcome last = Process(m);  // attempt 3 of 3
  EXPECT_EQ(last.action, Outcome::Action::kDeadLetter);
  EXPECT_EQ(last.kind, Outcome::Kind::kFailed);
  EXPECT_EQ(store.tasks.at(m.task_id).status, TaskStatus::kFailed);
  EXPECT_EQ(store.tasks.at(m.task_id).attempt, 3);
  EXPECT_EQ(computation.calls, 3);
}

TEST_F(TaskProcessorTest, PermanentErrorIsFailedWithoutRetry) {
  computation.permanent = true;
  const auto m = Message();
  const Outcome o = Process(m);
  EXPECT_EQ(o.action, Outcome::Action::kDeadLetter);
  EXPECT_EQ(store.tasks.at(m.task_id).status, TaskStatus::kFailed);
  EXPECT_EQ(computation.calls, 1);
}

TEST(RetryDelay, DoublesUpToTheCap) {
  ProcessorSettings s;
  s.retry_delay = std::chrono::seconds(1);
  s.max_retry_delay = std::chrono::seconds(5);
  EXPECT_EQ(RetryDelay(s, 1), std::chrono::seconds(1));
  EXPECT_EQ(RetryDelay(s, 3), std::chrono::seconds(4));
  EXPECT_EQ(RetryDelay(s, 4), std::chrono::seconds(5));
  EXPECT_EQ(RetryDelay(s, 60), std::chrono::seconds(5));
}

TEST_F(TaskProcessorTest, ThrowingComputationIsAFailureNotACrash) {
  computation.throws = true;
  const auto m = Message();
  EXPECT_EQ(Process(m).kind, Outcome::Kind::kRetried);
  EXPECT_NE(store.tasks.at(m.task_id).error.find("bad alloc"), std::string::npos);
}

TEST_F(TaskProcessorTest, GivesUpAfterMaxAttempts) {
  const auto m = Message();
  // Three deliveries that never completed (the worker died each time).
  for (int i = 0; i < 3; ++i) store.StartTask(m, "dead-worker");
  const Outcome o = Process(m);
  EXPECT_EQ(o.kind, Outcome::Kind::kGaveUp);
  EXPECT_EQ(o.action, Outcome::Action::kDeadLetter);
  EXPECT_EQ(store.tasks.at(m.task_id).status, TaskStatus::kFailed);
  EXPECT_EQ(computation.calls, 0);
}

TEST_F(TaskProcessorTest, RetriesThroughDatabaseOutage) {
  store.fail_next_calls = 2;
  const auto m = Message();
  EXPECT_EQ(Process(m).kind, Outcome::Kind::kFinished);
  EXPECT_EQ(store.tasks.at(m.task_id).attempt, 1);  // the failed writes did not count
}

TEST_F(TaskProcessorTest, AbandonsWhenStoppedDuringOutage) {
  store.fail_next_calls = 1000;
  stopper.Stop();
  EXPECT_THROW(Process(Message()), runtime::Abandoned);
}

}  // namespace
}  // namespace dcp::processing
