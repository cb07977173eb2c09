#pragma once
// The TaskStore contract (ports/task_store.hpp, domain/task_status.hpp),
// one typed suite for every implementation. Instantiated in
// fake_contract_test.cpp and mysql_contract_test.cpp; include once per
// binary.
#include "store_contract.hpp"

namespace dcp::contract {

template <class Stores>
class TaskStoreContract : public StoreContract<Stores> {};
TYPED_TEST_SUITE_P(TaskStoreContract);

TYPED_TEST_P(TaskStoreContract, StartStartsAQueuedTaskAndCountsAttempts) {
  const RunId run = this->RunningRun(2);
  const auto first = this->tasks().StartTask(this->Message(run, 0), "worker-a");
  EXPECT_EQ(first.outcome, StartOutcome::kStarted);
  EXPECT_EQ(first.attempt, 1);
  const auto again = this->tasks().StartTask(this->Message(run, 0), "worker-b");  // redelivered
  EXPECT_EQ(again.outcome, StartOutcome::kStarted);
  EXPECT_EQ(again.attempt, 2);
  const TaskView view = this->View(run, this->Planned(run, 0).id);
  EXPECT_EQ(view.status, TaskStatus::kStarted);
  EXPECT_EQ(view.attempt, 2);
  EXPECT_EQ(view.worker, "worker-b");
}

TYPED_TEST_P(TaskStoreContract, FinishCountsATaskOnce) {
  const RunId run = this->RunningRun(2);
  const TaskMessage m = this->Message(run, 0);
  this->tasks().StartTask(m, "w");
  EXPECT_TRUE(this->tasks().FinishTask(m, this->result_));
  EXPECT_FALSE(this->tasks().FinishTask(m, this->result_));  // a duplicate delivery
  EXPECT_EQ(this->Run(run).counts.finished, 1);
  EXPECT_EQ(this->StatusOf(run, m.task_id), TaskStatus::kFinished);
  // A duplicate that starts again is told the task is done.
  EXPECT_EQ(this->tasks().StartTask(m, "w").outcome, StartOutcome::kAlreadyFinished);
  this->ExpectCountersMatchRows(run);
}

TYPED_TEST_P(TaskStoreContract, FinishRefusesATaskThatEndedOrHasNoRow) {
  const RunId run = this->RunningRun(3);
  const TaskMessage failed = this->Message(run, 1);
  this->tasks().FailTask(failed.task_id, run, kNotStarted, "bad");
  EXPECT_FALSE(this->tasks().FinishTask(failed, this->result_));
  EXPECT_FALSE(this->tasks().FinishTask(UnplannedMessage(run), this->result_));
  EXPECT_EQ(this->StatusOf(run, failed.task_id), TaskStatus::kFailed);
  EXPECT_EQ(this->Run(run).counts.finished, 0);
  EXPECT_EQ(this->Run(run).task_count, 3);
  this->ExpectCountersMatchRows(run);
}

TYPED_TEST_P(TaskStoreContract, AnyDeliveryMayFinishATaskThatHasNotEnded) {
  const RunId run = this->RunningRun(2);
  // A stale delivery (attempt 1) finishes after a redelivery took attempt 2.
  const TaskMessage started = this->Message(run, 0);
  this->tasks().StartTask(started, "a");
  this->tasks().StartTask(started, "b");
  EXPECT_TRUE(this->tasks().FinishTask(started, this->result_));
  // QUEUED again (its owner scheduled a retry): a finish still counts.
  const TaskMessage queued = this->Message(run, 1);
  this->tasks().StartTask(queued, "a");
  ASSERT_EQ(this->tasks().RequeueTask(queued.task_id, 1, "retry"), WriteOutcome::kApplied);
  EXPECT_TRUE(this->tasks().FinishTask(queued, this->result_));
  EXPECT_EQ(this->Run(run).counts.finished, 2);
  EXPECT_EQ(this->Run(run).status, RunStatus::kFinished);
  this->ExpectCountersMatchRows(run);
}

// The race of issue 11: worker A's broker connection drops mid-task, B gets
// the message (attempt 2), then A's computation fails. A's requeue must not
// move B's task back, or B's FINISHED would find it QUEUED.
TYPED_TEST_P(TaskStoreContract, AStaleDeliveryChangesNothing) {
  const RunId run = this->RunningRun(1);
  const TaskMessage m = this->Message(run, 0);
  ASSERT_EQ(this->tasks().StartTask(m, "a").attempt, 1);
  ASSERT_EQ(this->tasks().StartTask(m, "b").attempt, 2);
  EXPECT_EQ(this->tasks().RequeueTask(m.task_id, 1, "a failed"), WriteOutcome::kNotOwner);
  EXPECT_EQ(this->tasks().FailTask(m.task_id, run, 1, "a failed"), WriteOutcome::kNotOwner);
  EXPECT_EQ(this->tasks().FailTask(m.task_id, run, kNotStarted, "malformed"),
            WriteOutcome::kNotOwner);
  TaskView view = this->View(run, m.task_id);
  EXPECT_EQ(view.status, TaskStatus::kStarted);
  EXPECT_EQ(view.attempt, 2);
  EXPECT_EQ(view.worker, "b");
  EXPECT_EQ(view.error, "");
  EXPECT_TRUE(this->tasks().FinishTask(m, this->result_));  // B
  EXPECT_EQ(this->tasks().RequeueTask(m.task_id, 1, "a failed"), WriteOutcome::kEnded);
  EXPECT_EQ(this->Run(run).counts.finished, 1);
  EXPECT_EQ(this->Run(run).status, RunStatus::kFinished);
  this->ExpectCountersMatchRows(run);
}

TYPED_TEST_P(TaskStoreContract, AFailureOfTheOwnerIsWrittenOnceHoweverOftenItIsRetried) {
  const RunId run = this->RunningRun(2);
  const TaskMessage m = this->Message(run, 0);
  this->tasks().StartTask(m, "w");
  EXPECT_EQ(this->tasks().FailTask(m.task_id, run, 1, "boom"), WriteOutcome::kApplied);
  EXPECT_EQ(this->tasks().FailTask(m.task_id, run, 1, "boom again"), WriteOutcome::kApplied);
  EXPECT_EQ(this->Run(run).counts.failed, 1);
  EXPECT_EQ(this->View(run, m.task_id).error, "boom again");
  // Failed by its owner: another attempt's failure has nothing to do.
  EXPECT_EQ(this->tasks().FailTask(m.task_id, run, 2, "late"), WriteOutcome::kEnded);
  EXPECT_EQ(this->View(run, m.task_id).error, "boom again");
  this->ExpectCountersMatchRows(run);
}

TYPED_TEST_P(TaskStoreContract, RunFinishesWhenItsLastTaskFinishes) {
  const RunId run = this->RunningRun(2);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(this->Run(run).status, RunStatus::kRunning);
    this->tasks().StartTask(this->Message(run, i), "w");
    this->tasks().FinishTask(this->Message(run, i), this->result_);
  }
  const RunSummary summary = this->Run(run);
  EXPECT_EQ(summary.status, RunStatus::kFinished);
  this->ExpectCountersMatchRows(run);
}

TYPED_TEST_P(TaskStoreContract, AFailedTaskEndsTheRunAsFailed) {
  const RunId run = this->RunningRun(2);
  this->tasks().StartTask(this->Message(run, 0), "w");
  this->tasks().FinishTask(this->Message(run, 0), this->result_);
  this->tasks().StartTask(this->Message(run, 1), "w");
  this->tasks().FailTask(this->Planned(run, 1).id, run, 1, "boom");
  EXPECT_EQ(this->Run(run).status, RunStatus::kFailed);
  EXPECT_EQ(this->View(run, this->Planned(run, 1).id).error, "boom");
  this->ExpectCountersMatchRows(run);
}

TYPED_TEST_P(TaskStoreContract, FailCountsOnceKeepsTheLatestErrorAndLeavesEndedTasksAlone) {
  const RunId run = this->RunningRun(3);
  const TaskId failed = this->Planned(run, 0).id;
  this->tasks().FailTask(failed, run, kNotStarted, "first");
  this->tasks().FailTask(failed, run, kNotStarted, "second");
  EXPECT_EQ(this->Run(run).counts.failed, 1);
  EXPECT_EQ(this->View(run, failed).error, "second");
  const TaskMessage finished = this->Message(run, 1);
  this->tasks().StartTask(finished, "w");
  this->tasks().FinishTask(finished, this->result_);
  EXPECT_EQ(this->tasks().FailTask(finished.task_id, run, 1, "late"), WriteOutcome::kEnded);
  EXPECT_EQ(this->StatusOf(run, finished.task_id), TaskStatus::kFinished);
  this->runs().CancelRun(run);
  const TaskId cancelled = this->Planned(run, 2).id;
  EXPECT_EQ(this->tasks().FailTask(cancelled, run, kNotStarted, "late"), WriteOutcome::kEnded);
  EXPECT_EQ(this->StatusOf(run, cancelled), TaskStatus::kCancelled);
  this->ExpectCountersMatchRows(run);
}

TYPED_TEST_P(TaskStoreContract, FailOfAnUnknownTaskRecordsItInItsRun) {
  const RunId run = this->RunningRun(1);
  const TaskId unknown = TaskId::New();
  this->tasks().FailTask(unknown, run, kNotStarted, "malformed");
  EXPECT_EQ(this->StatusOf(run, unknown), TaskStatus::kFailed);
  EXPECT_EQ(this->Run(run).task_count, 2);  // completion waits for the planned task too
  EXPECT_EQ(this->Run(run).status, RunStatus::kRunning);
  this->ExpectCountersMatchRows(run);
}

TYPED_TEST_P(TaskStoreContract, AFailedTaskWithoutARunIsFailedForGood) {
  const TaskId task = TaskId::New();
  this->tasks().FailTask(task, std::nullopt, kNotStarted, "no run id");
  TaskMessage m = UnplannedMessage(RunId::New());
  m.task_id = task;
  EXPECT_EQ(this->tasks().StartTask(m, "w").outcome, StartOutcome::kAlreadyFinished);
}

TYPED_TEST_P(TaskStoreContract, AFailedTaskStartsAgainWhileItsRunIsOpen) {
  const RunId run = this->RunningRun(2);
  const TaskMessage m = this->Message(run, 0);
  this->tasks().StartTask(m, "w");
  this->tasks().FailTask(m.task_id, run, 1, "boom");
  ASSERT_EQ(this->Run(run).counts.failed, 1);
  const auto restarted = this->tasks().StartTask(m, "w2");
  EXPECT_EQ(restarted.outcome, StartOutcome::kStarted);
  EXPECT_EQ(restarted.attempt, 2);
  EXPECT_EQ(this->StatusOf(run, m.task_id), TaskStatus::kStarted);
  EXPECT_EQ(this->Run(run).counts.failed, 0);
  this->ExpectCountersMatchRows(run);
}

TYPED_TEST_P(TaskStoreContract, AFailedTaskOfACompletedRunIsFailedForGood) {
  const RunId run = this->RunningRun(1);
  const TaskMessage m = this->Message(run, 0);
  this->tasks().FailTask(m.task_id, run, kNotStarted, "boom");
  ASSERT_EQ(this->Run(run).status, RunStatus::kFailed);
  EXPECT_EQ(this->tasks().StartTask(m, "w").outcome, StartOutcome::kAlreadyFinished);
  EXPECT_EQ(this->StatusOf(run, m.task_id), TaskStatus::kFailed);
  EXPECT_EQ(this->Run(run).status, RunStatus::kFailed);
  this->ExpectCountersMatchRows(run);
}

TYPED_TEST_P(TaskStoreContract, AMessageOfAnotherProducerCreatesItsRunAndTask) {
  const RunId run = RunId::New();
  const TaskMessage m = UnplannedMessage(run);
  EXPECT_EQ(this->tasks().StartTask(m, "w").outcome, StartOutcome::kStarted);
  const RunSummary summary = this->Run(run);
  EXPECT_EQ(summary.trigger, "external");
  EXPECT_EQ(summary.status, RunStatus::kRunning);
  EXPECT_FALSE(summary.task_count);
  EXPECT_EQ(this->StatusOf(run, m.task_id), TaskStatus::kStarted);
  EXPECT_TRUE(this->tasks().FinishTask(m, this->result_));
  EXPECT_EQ(this->Run(run).status, RunStatus::kRunning);  // unknown count: never completes
  // Its context: the first writer's.
  EXPECT_FALSE(this->tasks().LoadRunContext(run));
  EXPECT_EQ(this->tasks().EnsureRunContext(run, {"UTC", "{}"}).time_zone, "UTC");
  EXPECT_EQ(this->tasks().EnsureRunContext(run, {"Europe/Paris", "{}"}).time_zone, "UTC");
}

TYPED_TEST_P(TaskStoreContract, AnUnplannedTaskInALeaderRunIsCountedInIt) {
  const RunId run = this->RunningRun(1);
  this->tasks().StartTask(UnplannedMessage(run), "w");
  EXPECT_EQ(this->Run(run).task_count, 2);
  EXPECT_EQ(this->tasks().LoadRunContext(run)->time_zone, "Europe/Amsterdam");
}

TYPED_TEST_P(TaskStoreContract, RequeueMovesOnlyAStartedTaskBackAndKeepsItsAttempt) {
  const RunId run = this->RunningRun(2);
  const TaskMessage m = this->Message(run, 0);
  this->tasks().StartTask(m, "w");
  EXPECT_EQ(this->tasks().RequeueTask(m.task_id, 1, "try again"), WriteOutcome::kApplied);
  EXPECT_EQ(this->tasks().RequeueTask(m.task_id, 1, "try again"), WriteOutcome::kApplied);
  TaskView view = this->View(run, m.task_id);
  EXPECT_EQ(view.status, TaskStatus::kQueued);
  EXPECT_EQ(view.attempt, 1);
  EXPECT_EQ(view.error, "try again");
  EXPECT_EQ(this->tasks().StartTask(m, "w").attempt, 2);
  this->tasks().FinishTask(m, this->result_);
  EXPECT_EQ(this->tasks().RequeueTask(m.task_id, 2, "late"), WriteOutcome::kEnded);
  EXPECT_EQ(this->StatusOf(run, m.task_id), TaskStatus::kFinished);
  // QUEUED, never started: no attempt 1 owns it.
  EXPECT_EQ(this->tasks().RequeueTask(this->Planned(run, 1).id, 1, "never started"),
            WriteOutcome::kNotOwner);
  EXPECT_EQ(this->View(run, this->Planned(run, 1).id).error, "");
  EXPECT_EQ(this->tasks().RequeueTask(TaskId::New(), 1, "unknown"), WriteOutcome::kEnded);
  this->ExpectCountersMatchRows(run);
}

TYPED_TEST_P(TaskStoreContract, ARetryScheduledAfterCancelCancelsTheTask) {
  const RunId run = this->RunningRun(2);
  const TaskMessage m = this->Message(run, 0);
  this->tasks().StartTask(m, "w");
  ASSERT_EQ(this->runs().CancelRun(run).tasks_cancelled, 1);
  EXPECT_EQ(this->tasks().RequeueTask(m.task_id, 1, "boom"), WriteOutcome::kApplied);
  EXPECT_EQ(this->StatusOf(run, m.task_id), TaskStatus::kCancelled);
  EXPECT_EQ(this->Run(run).counts.cancelled, 2);
  EXPECT_EQ(this->tasks().StartTask(m, "w").outcome, StartOutcome::kCancelled);
  EXPECT_EQ(this->Run(run).status, RunStatus::kCancelled);
  this->ExpectCountersMatchRows(run);
}

TYPED_TEST_P(TaskStoreContract, RecordBatchCountsTheFirstOfTwoFinishesOfOneTask) {
  const RunId run = this->RunningRun(3);
  std::vector<TaskMessage> m{this->Message(run, 0), this->Message(run, 1), this->Message(run, 2)};
  StartTasks(this->tasks(), Pointers(m), "w");
  const TaskResult a{"ref", "a"}, dup{"ref", "dup"};
  EXPECT_EQ(FinishTasks(this->tasks(), {{&m[0], &a}, {&m[1], &a}, {&m[0], &dup}}),
            (std::vector<bool>{true, true, false}));
  EXPECT_EQ(FinishTasks(this->tasks(), {{&m[2], &a}, {&m[0], &dup}}),
            (std::vector<bool>{true, false}));
  EXPECT_EQ(this->Run(run).counts.finished, 3);
  EXPECT_EQ(this->Run(run).status, RunStatus::kFinished);
  std::vector<std::string> bodies;
  this->runs().ForEachTask(run, [&](const TaskOutcome& t) { bodies.push_back(t.result.value()); });
  EXPECT_EQ(bodies, (std::vector<std::string>{"a", "a", "a"}));  // the first result of each
  this->ExpectCountersMatchRows(run);
}

TYPED_TEST_P(TaskStoreContract, RecordBatchFinishesOnlyTasksThatHaveNotEnded) {
  const RunId run = this->RunningRun(2);
  const TaskMessage queued = this->Message(run, 0);
  const TaskMessage failed = this->Message(run, 1);
  this->tasks().FailTask(failed.task_id, run, kNotStarted, "bad");
  const TaskMessage unknown = UnplannedMessage(run);
  EXPECT_EQ(FinishTasks(
                this->tasks(),
                {{&queued, &this->result_}, {&failed, &this->result_}, {&unknown, &this->result_}}),
            (std::vector<bool>{true, false, false}));
  EXPECT_EQ(this->StatusOf(run, queued.task_id), TaskStatus::kFinished);
  EXPECT_EQ(this->StatusOf(run, failed.task_id), TaskStatus::kFailed);
  EXPECT_EQ(this->Run(run).counts.finished, 1);
  this->ExpectCountersMatchRows(run);
}

TYPED_TEST_P(TaskStoreContract, RecordBatchStartsWhatItCanAndLeavesTheRestToStartTask) {
  const RunId run = this->RunningRun(5);
  const TaskMessage queued = this->Message(run, 0);
  const TaskMessage running = this->Message(run, 1);
  const TaskMessage finished = this->Message(run, 2);
  const TaskMessage failed = this->Message(run, 3);
  const TaskMessage unknown = UnplannedMessage(run);
  this->tasks().StartTask(running, "w");
  this->tasks().StartTask(finished, "w");
  this->tasks().FinishTask(finished, this->result_);
  this->tasks().FailTask(failed.task_id, run, kNotStarted, "bad");
  const auto started =
      StartTasks(this->tasks(), {&queued, &running, &finished, &failed, &unknown}, "worker-b");
  ASSERT_EQ(started.size(), 5u);
  ASSERT_TRUE(started[0] && started[1] && started[2]);
  EXPECT_EQ(started[0]->outcome, StartOutcome::kStarted);
  EXPECT_EQ(started[0]->attempt, 1);
  EXPECT_EQ(started[1]->outcome, StartOutcome::kStarted);
  EXPECT_EQ(started[1]->attempt, 2);
  EXPECT_EQ(started[2]->outcome, StartOutcome::kAlreadyFinished);
  EXPECT_FALSE(started[3]);  // FAILED: StartTask decides by the run
  EXPECT_FALSE(started[4]);  // no row: StartTask creates it
  EXPECT_EQ(this->View(run, running.task_id).worker, "worker-b");
  EXPECT_EQ(this->StatusOf(run, failed.task_id), TaskStatus::kFailed);
  EXPECT_EQ(this->Run(run).task_count, 5);  // the unknown task was not added
  this->ExpectCountersMatchRows(run);
}

TYPED_TEST_P(TaskStoreContract, RecordBatchTellsCancelledTasks) {
  const RunId run = this->RunningRun(1);
  this->runs().CancelRun(run);
  const TaskMessage m = this->Message(run, 0);
  const auto started = StartTasks(this->tasks(), {&m}, "w");
  ASSERT_TRUE(started.at(0));
  EXPECT_EQ(started[0]->outcome, StartOutcome::kCancelled);
}

TYPED_TEST_P(TaskStoreContract, RecordBatchStartsATaskThatComesTwiceOnce) {
  const RunId run = this->RunningRun(2);
  const TaskMessage a = this->Message(run, 0);
  const TaskMessage b = this->Message(run, 1);
  const TaskMessage a_again = a;
  const auto started = StartTasks(this->tasks(), {&a, &b, &a, &a_again}, "w");
  ASSERT_EQ(started.size(), 4u);
  for (const auto& s : started) ASSERT_TRUE(s);
  EXPECT_EQ(started[0]->attempt, 1);
  EXPECT_EQ(started[2]->attempt, 1);
  EXPECT_EQ(started[3]->attempt, 1);
  EXPECT_EQ(this->View(run, a.task_id).attempt, 1);
}

TYPED_TEST_P(TaskStoreContract, RecordBatchFinishesAndStartsInOneCall) {
  const RunId run = this->RunningRun(3);
  const TaskMessage first = this->Message(run, 0);
  const TaskMessage second = this->Message(run, 1);
  this->tasks().StartTask(first, "w");
  const BatchRecord record = this->tasks().RecordBatch({{&first, &this->result_}}, {&second}, "w");
  EXPECT_EQ(record.finished, std::vector<bool>{true});
  ASSERT_EQ(record.started.size(), 1u);
  ASSERT_TRUE(record.started[0]);
  EXPECT_EQ(record.started[0]->outcome, StartOutcome::kStarted);
  EXPECT_EQ(this->StatusOf(run, first.task_id), TaskStatus::kFinished);
  EXPECT_EQ(this->StatusOf(run, second.task_id), TaskStatus::kStarted);
  const BatchRecord empty = this->tasks().RecordBatch({}, {}, "w");
  EXPECT_TRUE(empty.finished.empty());
  EXPECT_TRUE(empty.started.empty());
  this->ExpectCountersMatchRows(run);
}

REGISTER_TYPED_TEST_SUITE_P(
    TaskStoreContract, StartStartsAQueuedTaskAndCountsAttempts, FinishCountsATaskOnce,
    FinishRefusesATaskThatEndedOrHasNoRow, AnyDeliveryMayFinishATaskThatHasNotEnded,
    AStaleDeliveryChangesNothing, AFailureOfTheOwnerIsWrittenOnceHoweverOftenItIsRetried,
    RunFinishesWhenItsLastTaskFinishes, AFailedTaskEndsTheRunAsFailed,
    FailCountsOnceKeepsTheLatestErrorAndLeavesEndedTasksAlone, FailOfAnUnknownTaskRecordsItInItsRun,
    AFailedTaskWithoutARunIsFailedForGood, AFailedTaskStartsAgainWhileItsRunIsOpen,
    AFailedTaskOfACompletedRunIsFailedForGood, AMessageOfAnotherProducerCreatesItsRunAndTask,
    AnUnplannedTaskInALeaderRunIsCountedInIt, RequeueMovesOnlyAStartedTaskBackAndKeepsItsAttempt,
    ARetryScheduledAfterCancelCancelsTheTask, RecordBatchCountsTheFirstOfTwoFinishesOfOneTask,
    RecordBatchFinishesOnlyTasksThatHaveNotEnded,
    RecordBatchStartsWhatItCanAndLeavesTheRestToStartTask, RecordBatchTellsCancelledTasks,
    RecordBatchStartsATaskThatComesTwiceOnce, RecordBatchFinishesAndStartsInOneCall);

}  // namespace dcp::contract
