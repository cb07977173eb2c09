#include "processing/task_processor.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <optional>
#include <string>

#include "fake_stores.hpp"

namespace dcp::processing {
namespace {

class CountingComputation final : public Computation {
 public:
  std::string_view name() const override { return "count"; }
  Result<std::string> Compute(const TaskMessage& task, const RunContext& run, int) override {
    ++calls;
    if (during) during();
    if (fail) return Error{"boom"};
    if (permanent) return Error{"no such selection", true};
    if (throws) throw std::runtime_error("bad alloc");
    if (output) return *output;
    return task.selection + "@" + run.time_zone + "\n";
  }
  std::atomic<int> calls{0};
  std::function<void()> during;       // runs inside Compute: what happens meanwhile
  std::optional<std::string> output;  // the result, instead of the usual one
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
  static std::optional<Acked::Kind> AckedAs(const Outcome& o) {
    const Acked* acked = o.As<Acked>();
    return acked ? std::optional(acked->kind) : std::nullopt;
  }
  static std::optional<DeadLetter::Kind> DeadLetteredAs(const Outcome& o) {
    const DeadLetter* dead = o.As<DeadLetter>();
    return dead ? std::optional(dead->kind) : std::nullopt;
  }

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
  EXPECT_EQ(AckedAs(o), Acked::Kind::kFinished);
  EXPECT_EQ(o.task, m.task_id);
  EXPECT_EQ(o.attempt, 1);
  EXPECT_EQ(store.tasks.at(m.task_id).status, TaskStatus::kFinished);
  EXPECT_EQ(store.results.at(m.task_id).body, "S1-F1@UTC\n");
  EXPECT_EQ(store.results.at(m.task_id).computation, "count");
}

TEST_F(TaskProcessorTest, ComputeLeavesTheFinishToTheCaller) {
  const auto m = Message();
  const PlannedTask planned{m.task_id, 1, m.selection, m.start, m.end};
  store.CreateRun(NewRun{run, "manual", "{}", RunContext{"UTC", "{}"}}, {&planned, 1});
  const auto started = store.RecordBatch({}, {&m}, "w1").started;  // as the worker's recorder does
  ASSERT_EQ(started.size(), 1U);
  ASSERT_TRUE(started[0].has_value());
  Outcome o = processor.Compute(m, started[0]);
  const Finish* finish = o.As<Finish>();
  ASSERT_NE(finish, nullptr);
  EXPECT_EQ(o.attempt, 1);  // started once: by the batch, not again by Compute
  EXPECT_EQ(store.tasks.at(m.task_id).attempt, 1);
  EXPECT_EQ(store.tasks.at(m.task_id).status, TaskStatus::kStarted);
  EXPECT_EQ(finish->result.body, "S1-F1@UTC\n");

  const auto counted =
      store.RecordBatch({{&m, &finish->result}, {&m, &finish->result}}, {}, "w1").finished;
  EXPECT_EQ(counted, (std::vector<bool>{true, false}));  // the duplicate is not counted
  Outcome duplicate = o;
  o.Recorded(counted[0]);
  EXPECT_EQ(AckedAs(o), Acked::Kind::kFinished);
  duplicate.Recorded(counted[1]);
  EXPECT_EQ(AckedAs(duplicate), Acked::Kind::kDuplicate);
  EXPECT_EQ(store.tasks.at(m.task_id).status, TaskStatus::kFinished);
}

TEST_F(TaskProcessorTest, ComputeWithoutABatchStartStartsTheTaskItself) {
  const auto m = Message();
  const Outcome o = processor.Compute(m, std::nullopt);
  EXPECT_TRUE(o.Is<Finish>());
  EXPECT_EQ(store.tasks.at(m.task_id).attempt, 1);
  EXPECT_EQ(store.tasks.at(m.task_id).status, TaskStatus::kStarted);
}

TEST_F(TaskProcessorTest, ComputeSkipsWhatTheBatchFoundFinished) {
  const auto m = Message();
  const Outcome o = processor.Compute(m, StartResult{StartOutcome::kAlreadyFinished, 2});
  EXPECT_EQ(AckedAs(o), Acked::Kind::kSkipped);
  EXPECT_EQ(computation.calls, 0);
}

TEST_F(TaskProcessorTest, SkipsTaskAlreadyFinished) {
  const auto m = Message();
  ASSERT_EQ(AckedAs(Process(m)), Acked::Kind::kFinished);
  const Outcome again = Process(m);
  EXPECT_EQ(AckedAs(again), Acked::Kind::kSkipped);
  EXPECT_EQ(computation.calls, 1);
}

TEST_F(TaskProcessorTest, AcksAndSkipsTaskOfCancelledRun) {
  const auto m = Message();
  const PlannedTask planned{m.task_id, 1, m.selection, m.start, m.end};
  store.CreateRun(NewRun{run, "manual", "{}", RunContext{"UTC", "{}"}}, {&planned, 1});
  store.MarkRunning(run);
  ASSERT_EQ(store.CancelRun(run).tasks_cancelled, 1);
  const Outcome o = Process(m);
  ASSERT_EQ(AckedAs(o), Acked::Kind::kSkipped);
  EXPECT_EQ(o.As<Acked>()->note, "run cancelled");
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
  EXPECT_TRUE(Process(m).Is<Retry>());
  EXPECT_EQ(store.tasks.at(m.task_id).status, TaskStatus::kCancelled);
  EXPECT_EQ(AckedAs(Process(m)), Acked::Kind::kSkipped);
}

TEST_F(TaskProcessorTest, RecordsRowsForMessageOfAnotherProducer) {
  const auto m = Message();
  ASSERT_FALSE(store.runs.count(run));
  EXPECT_EQ(AckedAs(Process(m)), Acked::Kind::kFinished);
  EXPECT_EQ(store.runs.at(run).info.trigger, "external");
  EXPECT_EQ(store.runs.at(run).info.context.time_zone, "UTC");  // the worker's fallback
}

TEST_F(TaskProcessorTest, DeadLettersMalformedMessageAndFailsReadableTask) {
  const auto task = TaskId::New();
  const Outcome o = processor.Process(R"({"run_id":")" + run.ToString() + R"(","task_id":")" +
                                      task.ToString() + R"(","selection":"S1-F1"})");
  ASSERT_EQ(DeadLetteredAs(o), DeadLetter::Kind::kMalformed);
  EXPECT_EQ(o.task, task);
  const std::string& reason = o.As<DeadLetter>()->reason;
  EXPECT_NE(reason.find("start_date"), std::string::npos) << reason;
  EXPECT_EQ(store.tasks.at(task).status, TaskStatus::kFailed);
  EXPECT_EQ(computation.calls, 0);
}

TEST_F(TaskProcessorTest, DeadLettersGarbageWithoutTouchingStore) {
  const Outcome o = processor.Process("not json at all");
  EXPECT_EQ(DeadLetteredAs(o), DeadLetter::Kind::kMalformed);
  EXPECT_EQ(o.task, std::nullopt);
  EXPECT_TRUE(store.tasks.empty());
}

TEST_F(TaskProcessorTest, FailedComputationIsRetriedWithGrowingDelayThenFailed) {
  computation.fail = true;
  const auto m = Message();
  const Outcome first = Process(m);
  ASSERT_TRUE(first.Is<Retry>());
  EXPECT_EQ(first.As<Retry>()->delay, std::chrono::seconds(5));
  EXPECT_EQ(first.As<Retry>()->reason, "boom");
  EXPECT_EQ(store.tasks.at(m.task_id).status, TaskStatus::kQueued);
  EXPECT_EQ(store.tasks.at(m.task_id).error, "boom");
  const Outcome second = Process(m);
  ASSERT_TRUE(second.Is<Retry>());
  EXPECT_EQ(second.As<Retry>()->delay, std::chrono::seconds(10));
  const Outcome last = Process(m);  // attempt 3 of 3
  EXPECT_EQ(DeadLetteredAs(last), DeadLetter::Kind::kFailed);
  EXPECT_EQ(store.tasks.at(m.task_id).status, TaskStatus::kFailed);
  EXPECT_EQ(store.tasks.at(m.task_id).attempt, 3);
  EXPECT_EQ(computation.calls, 3);
}

// A run is pinned to its job: a worker given another job, or another
// version of it, does not compute its tasks; it says why, and the task goes
// back (for a worker of the right version) until its attempts are spent.
TEST_F(TaskProcessorTest, ATaskOfAnotherJobVersionIsNotComputed) {
  RunContext context{"UTC", "{}"};
  context.job_name = "forecast";
  context.job_sha256 = std::string(64, 'b');
  store.CreateRun(NewRun{run, "manual", "{}", context}, TaskSpan({}));
  ProcessorSettings settings{"w1", 3};
  settings.job_name = "forecast";
  settings.job_sha256 = std::string(64, 'a');
  TaskProcessor pinned(store, computation, contexts, retry, settings);
  const Outcome o = pinned.Process(EncodeTaskMessage(Message()));
  ASSERT_TRUE(o.Is<Retry>());
  EXPECT_EQ(o.As<Retry>()->reason,
            "job mismatch: the run was planned with job 'forecast' (sha256 bbbbbbbbbbbb), this "
            "worker has job 'forecast' (sha256 aaaaaaaaaaaa): not computed");
  EXPECT_EQ(computation.calls, 0);
}

TEST(JobMismatch, OnlyAWorkerGivenAJobChecksAndOnlyRunsOfAJobAreChecked) {
  RunContext run{"UTC", ""};
  run.job_name = "a";
  run.job_sha256 = "1";
  ProcessorSettings worker;
  EXPECT_FALSE(JobMismatch(worker, run));  // no job given: the reference default
  worker.job_name = "a";
  worker.job_sha256 = "1";
  EXPECT_FALSE(JobMismatch(worker, run));
  worker.job_name = "b";
  EXPECT_TRUE(JobMismatch(worker, run));                     // another job on the same queue
  EXPECT_FALSE(JobMismatch(worker, RunContext{"UTC", ""}));  // a run of another producer
}

TEST_F(TaskProcessorTest, PermanentErrorIsFailedWithoutRetry) {
  computation.permanent = true;
  const auto m = Message();
  const Outcome o = Process(m);
  EXPECT_EQ(DeadLetteredAs(o), DeadLetter::Kind::kFailed);
  EXPECT_EQ(store.tasks.at(m.task_id).status, TaskStatus::kFailed);
  EXPECT_EQ(computation.calls, 1);
}

// Issue 11's race: while this delivery computes, its broker connection drops
// and another worker starts the task (attempt 2); then the computation
// fails. Neither a retry nor a failure may touch the other's task, and the
// message is handed back, not acked or dead-lettered.
TEST_F(TaskProcessorTest, AStaleDeliveryWhoseComputationFailsHandsItsMessageBack) {
  for (const bool permanent : {false, true}) {
    SCOPED_TRACE(permanent);
    computation.fail = !permanent;
    computation.permanent = permanent;
    const auto m = Message();
    computation.during = [&] { store.StartTask(m, "w2"); };
    const Outcome o = Process(m);
    ASSERT_TRUE(o.Is<Retry>());
    EXPECT_EQ(o.attempt, 1);
    EXPECT_NE(o.As<Retry>()->reason.find("handed back"), std::string::npos);
    const auto& row = store.tasks.at(m.task_id);
    EXPECT_EQ(row.status, TaskStatus::kStarted);
    EXPECT_EQ(row.attempt, 2);
    EXPECT_EQ(row.worker, "w2");
    EXPECT_EQ(row.error, "");
  }
}

TEST_F(TaskProcessorTest, AStaleDeliveryWhoseTaskEndedMeanwhileIsAcked) {
  computation.fail = true;
  const auto m = Message();
  computation.during = [&] {
    store.StartTask(m, "w2");
    store.FinishTask(m, TaskResult{"count", "by w2"});
  };
  const Outcome o = Process(m);
  EXPECT_EQ(AckedAs(o), Acked::Kind::kSkipped);
  EXPECT_EQ(store.tasks.at(m.task_id).status, TaskStatus::kFinished);
  EXPECT_EQ(store.results.at(m.task_id).body, "by w2");
}

// Issue 11: a result the database could never store fails its task at
// once, with a reason naming the limit, instead of wedging the recorder.
TEST_F(TaskProcessorTest, AResultOverTheLimitFailsItsTaskAtOnce) {
  ProcessorSettings settings{"w1", 3};
  settings.max_result_bytes = 8;
  TaskProcessor limited{store, computation, contexts, retry, settings};
  computation.output = "123456789";
  const auto m = Message();
  const Outcome o = limited.Process(EncodeTaskMessage(m));
  ASSERT_EQ(DeadLetteredAs(o), DeadLetter::Kind::kFailed);
  EXPECT_EQ(o.As<DeadLetter>()->reason,
            "result of 9 bytes is over the limit of 8 bytes (DCP_MAX_RESULT_BYTES)");
  EXPECT_EQ(store.tasks.at(m.task_id).status, TaskStatus::kFailed);
  EXPECT_EQ(store.tasks.at(m.task_id).error, o.As<DeadLetter>()->reason);
  EXPECT_EQ(computation.calls, 1);  // not retried: it would be as big again
  computation.output = "12345678";  // at the limit: stored
  const auto fits = Message();
  EXPECT_EQ(AckedAs(limited.Process(EncodeTaskMessage(fits))), Acked::Kind::kFinished);
  EXPECT_EQ(store.results.at(fits.task_id).body, "12345678");
}

TEST_F(TaskProcessorTest, AResultThatIsNotUtf8FailsItsTaskAtOnce) {
  computation.output = std::string("ok\n\xff\xfe");
  const auto m = Message();
  const Outcome o = Process(m);
  ASSERT_EQ(DeadLetteredAs(o), DeadLetter::Kind::kFailed);
  EXPECT_NE(o.As<DeadLetter>()->reason.find("not valid UTF-8 (byte 3)"), std::string::npos)
      << o.As<DeadLetter>()->reason;
  EXPECT_EQ(store.tasks.at(m.task_id).status, TaskStatus::kFailed);
  EXPECT_EQ(computation.calls, 1);
}

TEST(Outcome, NotRecordedIsADeadLetterWithTheError) {
  const TaskId task = TaskId::New();
  const Outcome o = Outcome::NotRecorded("table is read-only", task, 2);
  const DeadLetter* dead = o.As<DeadLetter>();
  ASSERT_NE(dead, nullptr);
  EXPECT_EQ(dead->kind, DeadLetter::Kind::kNotRecorded);
  EXPECT_EQ(dead->reason, "not recorded: table is read-only");
  EXPECT_EQ(o.task, task);
  EXPECT_EQ(o.attempt, 2);
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
  EXPECT_TRUE(Process(m).Is<Retry>());
  EXPECT_NE(store.tasks.at(m.task_id).error.find("bad alloc"), std::string::npos);
}

TEST_F(TaskProcessorTest, GivesUpAfterMaxAttempts) {
  const auto m = Message();
  // Three deliveries that never completed (the worker died each time).
  for (int i = 0; i < 3; ++i) store.StartTask(m, "dead-worker");
  const Outcome o = Process(m);
  EXPECT_EQ(DeadLetteredAs(o), DeadLetter::Kind::kGaveUp);
  EXPECT_EQ(o.attempt, 4);
  EXPECT_EQ(store.tasks.at(m.task_id).status, TaskStatus::kFailed);
  EXPECT_EQ(computation.calls, 0);
}

TEST_F(TaskProcessorTest, RetriesThroughDatabaseOutage) {
  store.fail_next_calls = 2;
  const auto m = Message();
  EXPECT_EQ(AckedAs(Process(m)), Acked::Kind::kFinished);
  EXPECT_EQ(store.tasks.at(m.task_id).attempt, 1);  // the failed writes did not count
}

TEST_F(TaskProcessorTest, AbandonsWhenStoppedDuringOutage) {
  store.fail_next_calls = 1000;
  stopper.Stop();
  EXPECT_THROW(Process(Message()), runtime::Abandoned);
}

}  // namespace
}  // namespace dcp::processing
