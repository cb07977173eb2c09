#include "worker/batch_recorder.hpp"

#include <gtest/gtest.h>

#include "fake_stores.hpp"

namespace dcp::worker {
namespace {

using processing::Acked;
using processing::DeadLetter;

// The fake store, counting the batch writes, and refusing them (or the
// one-by-one finishes) for good when told to.
class RefusingStore final : public TaskStore {
 public:
  explicit RefusingStore(fakes::FakeStore& store) : store_(store) {}

  StartResult StartTask(const TaskMessage& task, std::string_view worker_id) override {
    return store_.StartTask(task, worker_id);
  }
  bool FinishTask(const TaskMessage& task, const TaskResult& result) override {
    ++finish_calls;
    if (refuse_finish) throw DbError("read-only table", /*transient=*/false);
    if (task.task_id == too_big) {
      throw DbError("a statement of 20000100 bytes is over max_allowed_packet", DbErrorKind::kData);
    }
    return store_.FinishTask(task, result);
  }
  BatchRecord RecordBatch(const std::vector<FinishItem>& finish,
                          const std::vector<const TaskMessage*>& start,
                          std::string_view worker_id) override {
    ++batch_calls;
    if (refuse_batch) throw DbError("packet too large", DbErrorKind::kData);
    return store_.RecordBatch(finish, start, worker_id);
  }
  WriteOutcome FailTask(const TaskId& task, const std::optional<RunId>& run, int attempt,
                        std::string_view error) override {
    return store_.FailTask(task, run, attempt, error);
  }
  WriteOutcome RequeueTask(const TaskId& task, int attempt, std::string_view error) override {
    return store_.RequeueTask(task, attempt, error);
  }
  std::optional<RunContext> LoadRunContext(const RunId& run) override {
    return store_.LoadRunContext(run);
  }
  RunContext EnsureRunContext(const RunId& run, const RunContext& fallback) override {
    return store_.EnsureRunContext(run, fallback);
  }

  int batch_calls = 0;
  int finish_calls = 0;
  bool refuse_batch = false;
  bool refuse_finish = false;
  std::optional<TaskId> too_big;  // FinishTask of this task: refused as data (kData)

 private:
  fakes::FakeStore& store_;
};

class BatchRecorderTest : public ::testing::Test {
 protected:
  // A task planned in a run of its own (QUEUED).
  TaskMessage Message() {
    const RunId run = RunId::New();
    TaskMessage m{run, TaskId::New(), "S1-F1", *ParseLocalMinute("2024-01-01 00:00"),
                  *ParseLocalMinute("2024-01-31 23:59")};
    const PlannedTask planned{m.task_id, 1, m.selection, m.start, m.end};
    fake_.CreateRun(NewRun{run, "manual", "{}", RunContext{"UTC", "{}"}}, {&planned, 1});
    return m;
  }
  Job Delivered(const TaskMessage& m) {
    return Job{{1, ++tag_}, EncodeTaskMessage(m), std::nullopt, {}, std::nullopt};
  }
  // A task started and computed, waiting for its FINISHED.
  Finishing Computed(const TaskMessage& m) {
    const StartResult start = fake_.StartTask(m, "w1");
    return Finishing{{1, ++tag_},
                     EncodeTaskMessage(m),
                     m,
                     {processing::Finish{TaskResult{"count", "ok\n"}}, m.task_id, start.attempt}};
  }
  static std::optional<Acked::Kind> AckedAs(const Done& d) {
    const Acked* acked = d.outcome ? d.outcome->As<Acked>() : nullptr;
    return acked ? std::optional(acked->kind) : std::nullopt;
  }
  std::vector<Finishing> Finishings(std::initializer_list<TaskMessage> tasks) {
    std::vector<Finishing> out;
    for (const auto& m : tasks) out.push_back(Computed(m));
    return out;
  }

  fakes::FakeStore fake_;
  RefusingStore store_{fake_};
  runtime::Stopper stopper_;
  runtime::DbRetry retry_{stopper_, runtime::RetrySettings{std::chrono::milliseconds(1),
                                                           std::chrono::milliseconds(1), 1}};
  processing::ProcessorSettings settings_{"w1"};
  BatchRecorder recorder_{store_, retry_, settings_};
  std::uint64_t tag_ = 0;
};

TEST_F(BatchRecorderTest, RecordsFinishesAndStartsInOneBatch) {
  const auto a = Message(), b = Message(), c = Message();
  std::vector<Job> starting;
  starting.push_back(Delivered(c));
  const RecordedRound round = recorder_.Record(std::move(starting), Finishings({a, b}));
  EXPECT_EQ(store_.batch_calls, 1);
  EXPECT_TRUE(round.written);
  ASSERT_EQ(round.done.size(), 2U);
  EXPECT_EQ(AckedAs(round.done[0]), Acked::Kind::kFinished);
  EXPECT_EQ(AckedAs(round.done[1]), Acked::Kind::kFinished);
  EXPECT_EQ(round.done[0].ref.tag, 2U);  // in order, refs kept
  EXPECT_EQ(fake_.tasks.at(a.task_id).status, TaskStatus::kFinished);
  ASSERT_EQ(round.started.size(), 1U);
  ASSERT_TRUE(round.started[0].task.has_value());
  EXPECT_EQ(round.started[0].task->task_id, c.task_id);
  ASSERT_TRUE(round.started[0].start.has_value());
  EXPECT_EQ(round.started[0].start->attempt, 1);
}

TEST_F(BatchRecorderTest, ASecondFinishOfOneTaskIsADuplicate) {
  const auto a = Message();
  auto finishing = Finishings({a});
  finishing.push_back(Computed(a));  // delivered twice, computed twice
  const RecordedRound round = recorder_.Record({}, std::move(finishing));
  ASSERT_EQ(round.done.size(), 2U);
  EXPECT_EQ(AckedAs(round.done[0]), Acked::Kind::kFinished);
  EXPECT_EQ(AckedAs(round.done[1]), Acked::Kind::kDuplicate);
}

TEST_F(BatchRecorderTest, AMalformedBodyIsNotStartedButSaysWhy) {
  std::vector<Job> starting;
  starting.push_back(Job{{1, 7}, "not json", std::nullopt, {}, std::nullopt});
  const auto good = Message();
  starting.push_back(Delivered(good));
  const RecordedRound round = recorder_.Record(std::move(starting), {});
  ASSERT_EQ(round.started.size(), 2U);
  EXPECT_FALSE(round.started[0].task.has_value());
  EXPECT_FALSE(round.started[0].malformed.empty());
  EXPECT_FALSE(round.started[0].start.has_value());
  ASSERT_TRUE(round.started[1].start.has_value());  // the next start is the good one's
  EXPECT_EQ(fake_.tasks.at(good.task_id).status, TaskStatus::kStarted);
}

TEST_F(BatchRecorderTest, RecordsOneByOneWhenTheBatchWriteFails) {
  store_.refuse_batch = true;
  const auto a = Message(), b = Message(), c = Message();
  std::vector<Job> starting;
  starting.push_back(Delivered(c));
  const RecordedRound round = recorder_.Record(std::move(starting), Finishings({a, b}));
  EXPECT_FALSE(round.written);
  EXPECT_EQ(store_.finish_calls, 2);
  ASSERT_EQ(round.done.size(), 2U);
  EXPECT_EQ(AckedAs(round.done[0]), Acked::Kind::kFinished);
  EXPECT_EQ(AckedAs(round.done[1]), Acked::Kind::kFinished);
  EXPECT_EQ(fake_.tasks.at(b.task_id).status, TaskStatus::kFinished);
  // The starting task goes on unstarted: its pool thread starts it.
  ASSERT_EQ(round.started.size(), 1U);
  EXPECT_TRUE(round.started[0].task.has_value());
  EXPECT_FALSE(round.started[0].start.has_value());
}

TEST_F(BatchRecorderTest, AFinishThatCannotBeRecordedIsDeadLettered) {
  store_.refuse_batch = store_.refuse_finish = true;
  const auto a = Message();
  const RecordedRound round = recorder_.Record({}, Finishings({a}));
  ASSERT_EQ(round.done.size(), 1U);
  ASSERT_TRUE(round.done[0].outcome.has_value());
  const DeadLetter* dead = round.done[0].outcome->As<DeadLetter>();
  ASSERT_NE(dead, nullptr);
  EXPECT_EQ(dead->kind, DeadLetter::Kind::kNotRecorded);
  EXPECT_NE(dead->reason.find("read-only table"), std::string::npos) << dead->reason;
  EXPECT_EQ(round.done[0].outcome->task, a.task_id);
  EXPECT_EQ(round.done[0].outcome->attempt, 1);
  EXPECT_EQ(fake_.tasks.at(a.task_id).status, TaskStatus::kFailed);  // not left STARTED
}

// Issue 11: one task's data never blocks the recorder. The batch is refused
// for good because of one result; that task FAILS with the database's
// reason and is dead-lettered, the others of the round are recorded.
TEST_F(BatchRecorderTest, OneResultTheDatabaseRefusesFailsItsTaskAlone) {
  store_.refuse_batch = true;
  const auto a = Message(), big = Message(), c = Message();
  store_.too_big = big.task_id;
  const RecordedRound round = recorder_.Record({}, Finishings({a, big, c}));
  EXPECT_EQ(store_.batch_calls, 1);  // kData: never retried
  ASSERT_EQ(round.done.size(), 3U);
  EXPECT_EQ(AckedAs(round.done[0]), Acked::Kind::kFinished);
  EXPECT_EQ(AckedAs(round.done[2]), Acked::Kind::kFinished);
  ASSERT_TRUE(round.done[1].outcome.has_value());
  const DeadLetter* dead = round.done[1].outcome->As<DeadLetter>();
  ASSERT_NE(dead, nullptr);
  EXPECT_EQ(dead->kind, DeadLetter::Kind::kNotRecorded);
  EXPECT_NE(dead->reason.find("max_allowed_packet"), std::string::npos) << dead->reason;
  const auto& row = fake_.tasks.at(big.task_id);
  EXPECT_EQ(row.status, TaskStatus::kFailed);
  EXPECT_NE(row.error.find("max_allowed_packet"), std::string::npos) << row.error;
  EXPECT_EQ(fake_.tasks.at(c.task_id).status, TaskStatus::kFinished);
}

TEST_F(BatchRecorderTest, StoppingDuringAnOutageLeavesTheWholeRoundUnacked) {
  stopper_.Stop();
  const auto a = Message(), c = Message();
  std::vector<Job> starting;
  starting.push_back(Delivered(c));
  auto finishing = Finishings({a});
  fake_.fail_next_calls = 1000;  // transient: retried until the stop
  const RecordedRound round = recorder_.Record(std::move(starting), std::move(finishing));
  EXPECT_FALSE(round.written);
  EXPECT_TRUE(round.started.empty());
  ASSERT_EQ(round.done.size(), 2U);
  EXPECT_FALSE(round.done[0].outcome.has_value());
  EXPECT_FALSE(round.done[1].outcome.has_value());
  EXPECT_EQ(fake_.tasks.at(a.task_id).status, TaskStatus::kStarted);
}

}  // namespace
}  // namespace dcp::worker
