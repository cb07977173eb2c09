#pragma once
// The RunStore contract (the narrow ports of ports/run_store.hpp and the
// run events of domain/task_status.hpp), one typed suite for every
// implementation. Instantiated in fake_contract_test.cpp and
// mysql_contract_test.cpp; include once per binary.
#include <chrono>

#include "store_contract.hpp"

namespace dcp::contract {

template <class Stores>
class RunStoreContract : public StoreContract<Stores> {
 protected:
  // Ends every task of `run`: the first `failing` fail, the others finish.
  void EndAll(const RunId& run, int n, int failing = 0) {
    for (int i = 0; i < n; ++i) {
      const TaskMessage m = this->Message(run, i);
      this->tasks().StartTask(m, "w");
      if (i < failing) {
        this->tasks().FailTask(m.task_id, run, 1, "boom");
      } else {
        this->tasks().FinishTask(m, this->result_);
      }
    }
  }
  static constexpr std::chrono::seconds kLease{600};
};
TYPED_TEST_SUITE_P(RunStoreContract);

TYPED_TEST_P(RunStoreContract, CreateRunRecordsThePlannedTasksAsQueued) {
  const RunId run = RunId::New();
  const auto planned = PlanTasks(3);
  this->runs().CreateRun(MakeRun(run), planned);
  const RunSummary summary = this->Run(run);
  EXPECT_EQ(summary.status, RunStatus::kPublishing);
  EXPECT_EQ(summary.trigger, "manual");
  EXPECT_EQ(summary.task_count, 3);
  EXPECT_EQ(summary.counts.queued, 3);
  const auto listed = this->runs().ListTasks(run, std::nullopt, 10, 0);
  ASSERT_EQ(listed.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(listed[i].id, planned[i].id);
    EXPECT_EQ(listed[i].seq, planned[i].seq);
    EXPECT_EQ(listed[i].selection, planned[i].selection);
    EXPECT_EQ(listed[i].start, planned[i].start);
  }
  EXPECT_EQ(this->runs().ListTasks(run, TaskStatus::kQueued, 2, 0).size(), 2u);
  EXPECT_TRUE(this->runs().ListTasks(run, TaskStatus::kStarted, 10, 0).empty());
  // Pages: the offset skips in the same order, and past the end is empty.
  const auto second = this->runs().ListTasks(run, std::nullopt, 2, 1);
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(second[0].id, planned[1].id);
  EXPECT_EQ(second[1].id, planned[2].id);
  EXPECT_TRUE(this->runs().ListTasks(run, std::nullopt, 10, 3).empty());
  EXPECT_EQ(this->tasks().LoadRunContext(run)->time_zone, "Europe/Amsterdam");
  EXPECT_EQ(this->runs().LatestRun()->id, run);
  EXPECT_FALSE(this->runs().GetRun(RunId::New()));
}

TYPED_TEST_P(RunStoreContract, TheRunLockIsHeldUntilUnlocked) {
  EXPECT_FALSE(this->runs().RunLockHeld("reference"));
  EXPECT_TRUE(this->runs().TryLockRuns("reference"));
  EXPECT_TRUE(this->runs().RunLockHeld("reference"));
  EXPECT_TRUE(this->runs().TryLockRuns("reference"));  // idempotent for its holder
  EXPECT_FALSE(this->runs().RunLockHeld("forecast"));
  this->runs().UnlockRuns("reference");
  EXPECT_FALSE(this->runs().RunLockHeld("reference"));
  EXPECT_TRUE(this->runs().TryLockRuns("reference"));
  EXPECT_TRUE(this->runs().RunLockHeld("reference"));
  this->runs().UnlockRuns("reference");
}

TYPED_TEST_P(RunStoreContract, ActiveRunIsTheNewestLeaderRunNotEnded) {
  EXPECT_FALSE(this->runs().ActiveRun("reference"));
  const RunId older = this->RunningRun(1);
  const RunId newer = this->RunningRun(1);
  this->tasks().StartTask(UnplannedMessage(RunId::New()), "w");  // external: never active
  EXPECT_EQ(this->runs().ActiveRun("reference"), newer);
  this->EndAll(newer, 1);
  EXPECT_EQ(this->runs().ActiveRun("reference"), older);
  this->runs().CancelRun(older);
  EXPECT_FALSE(this->runs().ActiveRun("reference"));
}

// Each job plans on its own: another job's runs neither block it nor are
// resumed by its leader, and their locks are apart.
TYPED_TEST_P(RunStoreContract, LocksActiveRunsAndLeftRunsAreAJobs) {
  const RunId other = this->RunningRun(1, "forecast");
  EXPECT_FALSE(this->runs().ActiveRun("reference"));
  EXPECT_EQ(this->runs().ActiveRun("forecast"), other);
  const RunId half = RunId::New();
  this->runs().CreateRun(MakeRun(half, "forecast"), PlanTasks(1));
  EXPECT_TRUE(this->runs().RunsLeftPublishing("reference").empty());
  EXPECT_EQ(this->runs().RunsLeftPublishing("forecast"), std::vector<RunId>{half});
  EXPECT_TRUE(this->runs().TryLockRuns("forecast"));
  EXPECT_TRUE(this->runs().TryLockRuns("reference"));
  this->runs().UnlockRuns("forecast");
  this->runs().UnlockRuns("reference");
}

// The topology is opaque bytes (a NUL, bytes that are not UTF-8) and comes
// back whole, with the run's job.
TYPED_TEST_P(RunStoreContract, TheContextComesBackWithItsJobAndItsTopologyAsBytes) {
  const RunId run = RunId::New();
  NewRun record = MakeRun(run, "forecast");
  record.context.topology = std::string("a\0b\xff\xfe\n", 6);
  this->runs().CreateRun(record, PlanTasks(1));
  const auto context = this->tasks().LoadRunContext(run);
  ASSERT_TRUE(context);
  EXPECT_EQ(context->topology, record.context.topology);
  EXPECT_EQ(context->job_name, "forecast");
  EXPECT_EQ(context->job_sha256, record.context.job_sha256);
  EXPECT_EQ(context->time_zone, "Europe/Amsterdam");
}

TYPED_TEST_P(RunStoreContract, TheWatermarkOnlyRisesAndUnpublishedTasksArePastIt) {
  const RunId run = RunId::New();
  const auto planned = PlanTasks(4);
  this->runs().CreateRun(MakeRun(run), planned);
  EXPECT_EQ(this->runs().UnpublishedTasks(run).size(), 4u);
  this->runs().MarkPublished(run, 2);
  this->runs().MarkPublished(run, 1);
  EXPECT_EQ(this->Run(run).published, 2);
  // A worker took task 4 already (published before the watermark moved).
  this->tasks().StartTask(MessageOf(run, planned[3]), "w");
  const auto unpublished = this->runs().UnpublishedTasks(run);
  ASSERT_EQ(unpublished.size(), 1u);
  EXPECT_EQ(unpublished[0].id, planned[2].id);
  EXPECT_EQ(this->runs().RunsLeftPublishing("reference"), std::vector<RunId>{run});
  this->runs().MarkRunning(run);
  EXPECT_EQ(this->Run(run).status, RunStatus::kRunning);
  EXPECT_TRUE(this->runs().RunsLeftPublishing("reference").empty());
}

TYPED_TEST_P(RunStoreContract, MarkRunningCompletesARunWhoseTasksAllEnded) {
  const RunId run = RunId::New();
  this->planned_[run] = PlanTasks(2);
  this->runs().CreateRun(MakeRun(run), this->planned_[run]);
  this->EndAll(run, 2);
  EXPECT_EQ(this->Run(run).status, RunStatus::kPublishing);  // not completed while publishing
  this->runs().MarkRunning(run);
  EXPECT_EQ(this->Run(run).status, RunStatus::kFinished);
  this->runs().MarkRunning(run);  // once ended, stays ended
  EXPECT_EQ(this->Run(run).status, RunStatus::kFinished);
}

TYPED_TEST_P(RunStoreContract, CancelCancelsTheQueuedTasksOnce) {
  const RunId run = this->RunningRun(3);
  const TaskMessage running = this->Message(run, 0);
  this->tasks().StartTask(running, "w");
  const CancelResult result = this->runs().CancelRun(run);
  EXPECT_EQ(result.status, CancelResult::Status::kCancelled);
  EXPECT_EQ(result.tasks_cancelled, 2);
  EXPECT_EQ(this->Run(run).status, RunStatus::kCancelled);
  EXPECT_EQ(this->View(run, this->Planned(run, 1).id).error, "run cancelled");
  EXPECT_EQ(this->runs().CancelRun(run).status, CancelResult::Status::kAlreadyEnded);
  EXPECT_EQ(this->runs().CancelRun(RunId::New()).status, CancelResult::Status::kNotFound);
  // Workers skip the cancelled tasks; the one in flight finishes as usual.
  EXPECT_EQ(this->tasks().StartTask(this->Message(run, 1), "w").outcome, StartOutcome::kCancelled);
  EXPECT_TRUE(this->tasks().FinishTask(running, this->result_));
  EXPECT_EQ(this->Run(run).status, RunStatus::kCancelled);
  EXPECT_EQ(this->Run(run).counts.finished, 1);
  this->ExpectCountersMatchRows(run);
}

TYPED_TEST_P(RunStoreContract, AnEndedRunCannotBeCancelled) {
  const RunId run = this->RunningRun(1);
  this->EndAll(run, 1);
  EXPECT_EQ(this->runs().CancelRun(run).status, CancelResult::Status::kAlreadyEnded);
  EXPECT_EQ(this->Run(run).status, RunStatus::kFinished);
}

TYPED_TEST_P(RunStoreContract, OperatorRetryRequeuesFailedTasksAndReopensTheRun) {
  const RunId run = this->RunningRun(3);
  this->EndAll(run, 3, /*failing=*/2);
  ASSERT_EQ(this->Run(run).status, RunStatus::kFailed);
  ASSERT_TRUE(this->runs().ClaimCompletion(this->kLease));
  this->runs().CompletionReported(run);
  const auto requeued = this->runs().RequeueFailed(run);
  ASSERT_EQ(requeued.size(), 2u);
  EXPECT_EQ(requeued[0].id, this->Planned(run, 0).id);
  EXPECT_EQ(requeued[1].id, this->Planned(run, 1).id);
  const RunSummary summary = this->Run(run);
  EXPECT_EQ(summary.status, RunStatus::kPublishing);
  EXPECT_EQ(summary.published, 0);  // before the first of them
  EXPECT_EQ(summary.counts.queued, 2);
  EXPECT_EQ(summary.counts.failed, 0);
  EXPECT_EQ(this->View(run, this->Planned(run, 0).id).attempt, 0);
  EXPECT_EQ(this->runs().UnpublishedTasks(run).size(), 2u);
  this->ExpectCountersMatchRows(run);
  // Published and finished this time: the run ends, and is reported again.
  this->runs().MarkPublished(run, 3);
  this->runs().MarkRunning(run);
  this->EndAll(run, 2);
  EXPECT_EQ(this->Run(run).status, RunStatus::kFinished);
  const auto claimed = this->runs().ClaimCompletion(this->kLease);
  ASSERT_TRUE(claimed);
  EXPECT_EQ(claimed->id, run);
  EXPECT_TRUE(this->runs().RequeueFailed(run).empty());  // nothing failed
}

TYPED_TEST_P(RunStoreContract, RequeueingSomeFailedTasksMovesOnlyThoseAndCountsThemOnce) {
  const RunId run = this->RunningRun(4);
  this->EndAll(run, 4, /*failing=*/3);  // 0, 1, 2 FAILED; 3 FINISHED
  ASSERT_EQ(this->Run(run).status, RunStatus::kFailed);
  const RunId other = this->RunningRun(1);
  const std::vector<TaskId> ids = {this->Planned(run, 1).id, this->Planned(run, 2).id,
                                   this->Planned(run, 2).id,     // twice: moved once
                                   this->Planned(run, 3).id,     // FINISHED: left alone
                                   this->Planned(other, 0).id};  // another run's
  const auto requeued = this->runs().RequeueFailedTasks(run, ids);
  ASSERT_EQ(requeued.size(), 2u);
  EXPECT_EQ(requeued[0].id, this->Planned(run, 1).id);
  EXPECT_EQ(requeued[1].id, this->Planned(run, 2).id);
  const RunSummary summary = this->Run(run);
  EXPECT_EQ(summary.status, RunStatus::kPublishing);
  EXPECT_EQ(summary.published, 1);  // before the first of them
  EXPECT_EQ(summary.counts.failed, 1);
  EXPECT_EQ(summary.counts.queued, 2);
  EXPECT_EQ(this->StatusOf(run, this->Planned(run, 0).id), TaskStatus::kFailed);
  EXPECT_EQ(this->StatusOf(run, this->Planned(run, 3).id), TaskStatus::kFinished);
  EXPECT_EQ(this->StatusOf(other, this->Planned(other, 0).id), TaskStatus::kQueued);
  this->ExpectCountersMatchRows(run);
  // Again: nothing moves, nothing is counted twice.
  EXPECT_TRUE(this->runs().RequeueFailedTasks(run, ids).empty());
  EXPECT_TRUE(this->runs().RequeueFailedTasks(run, {}).empty());
  this->ExpectCountersMatchRows(run);
  const auto row = this->runs().GetTask(run, this->Planned(run, 1).id);
  ASSERT_TRUE(row);
  EXPECT_EQ(row->status, TaskStatus::kQueued);
  EXPECT_EQ(row->attempt, 0);
  EXPECT_EQ(row->seq, this->Planned(run, 1).seq);
  EXPECT_FALSE(this->runs().GetTask(other, this->Planned(run, 1).id));  // not that run's
}

TYPED_TEST_P(RunStoreContract, OperatorRetryLeavesACancelledRunAlone) {
  const RunId run = this->RunningRun(2);
  this->tasks().StartTask(this->Message(run, 0), "w");
  this->tasks().FailTask(this->Planned(run, 0).id, run, 1, "boom");
  this->runs().CancelRun(run);
  EXPECT_TRUE(this->runs().RequeueFailed(run).empty());
  EXPECT_EQ(this->Run(run).status, RunStatus::kCancelled);
  EXPECT_EQ(this->StatusOf(run, this->Planned(run, 0).id), TaskStatus::kFailed);
  EXPECT_TRUE(this->runs().RequeueFailed(RunId::New()).empty());
}

TYPED_TEST_P(RunStoreContract, ACompletionIsClaimedOnceThenReported) {
  const RunId open = this->RunningRun(1);
  EXPECT_FALSE(this->runs().ClaimCompletion(this->kLease));  // nothing ended
  const RunId run = this->RunningRun(1);
  this->EndAll(run, 1);
  const auto claimed = this->runs().ClaimCompletion(this->kLease);
  ASSERT_TRUE(claimed);
  EXPECT_EQ(claimed->id, run);
  EXPECT_EQ(claimed->status, RunStatus::kFinished);
  EXPECT_EQ(claimed->counts.finished, 1);
  EXPECT_FALSE(this->runs().ClaimCompletion(this->kLease));  // claimed, lease running
  this->runs().CompletionReported(run);
  EXPECT_FALSE(this->runs().ClaimCompletion(std::chrono::seconds(0)));  // reported: never again
  EXPECT_EQ(this->Run(open).status, RunStatus::kRunning);
}

TYPED_TEST_P(RunStoreContract, AClaimNotReportedWithinItsLeaseIsClaimedAgain) {
  const RunId run = this->RunningRun(1);
  this->EndAll(run, 1, /*failing=*/1);
  ASSERT_TRUE(this->runs().ClaimCompletion(this->kLease));
  const auto again = this->runs().ClaimCompletion(std::chrono::seconds(0));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->id, run);
  EXPECT_EQ(again->status, RunStatus::kFailed);
}

TYPED_TEST_P(RunStoreContract, ACancelledRunIsReportedToo) {
  const RunId run = this->RunningRun(1);
  this->runs().CancelRun(run);
  const auto claimed = this->runs().ClaimCompletion(this->kLease);
  ASSERT_TRUE(claimed);
  EXPECT_EQ(claimed->status, RunStatus::kCancelled);
}

TYPED_TEST_P(RunStoreContract, ResultsComeInSelectionAndStartOrder) {
  const RunId run = RunId::New();
  std::vector<PlannedTask> planned = PlanTasks(3);
  planned[0].selection = "b";
  planned[1].selection = "a";
  planned[2].selection = "a";
  std::swap(planned[1].start, planned[2].start);  // a: seq 3 starts first
  this->runs().CreateRun(MakeRun(run), planned);
  this->runs().MarkRunning(run);
  for (const auto& t : planned) {
    const TaskMessage m = MessageOf(run, t);
    this->tasks().StartTask(m, "w");
    this->tasks().FinishTask(m, TaskResult{"ref", "seq" + std::to_string(t.seq)});
  }
  std::vector<std::string> rows;
  this->runs().ForEachTask(run, [&](const TaskOutcome& t) {
    rows.push_back(t.computation + " " + t.selection + " " + t.result.value_or("-"));
  });
  EXPECT_EQ(rows, (std::vector<std::string>{"ref a seq3", "ref a seq2", "ref b seq1"}));
}

REGISTER_TYPED_TEST_SUITE_P(
    RunStoreContract, CreateRunRecordsThePlannedTasksAsQueued, TheRunLockIsHeldUntilUnlocked,
    ActiveRunIsTheNewestLeaderRunNotEnded, LocksActiveRunsAndLeftRunsAreAJobs,
    TheContextComesBackWithItsJobAndItsTopologyAsBytes,
    TheWatermarkOnlyRisesAndUnpublishedTasksArePastIt, MarkRunningCompletesARunWhoseTasksAllEnded,
    CancelCancelsTheQueuedTasksOnce, AnEndedRunCannotBeCancelled,
    OperatorRetryRequeuesFailedTasksAndReopensTheRun,
    RequeueingSomeFailedTasksMovesOnlyThoseAndCountsThemOnce, OperatorRetryLeavesACancelledRunAlone,
    ACompletionIsClaimedOnceThenReported, AClaimNotReportedWithinItsLeaseIsClaimedAgain,
    ACancelledRunIsReportedToo, ResultsComeInSelectionAndStartOrder);

}  // namespace dcp::contract
