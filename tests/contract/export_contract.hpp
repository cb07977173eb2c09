#pragma once
// The export side of the RunStore contract: a run's tasks in the workload's
// order (RunResults), the export step's claims (ExportClaims) and a run
// that failed before it was planned (RecordFailedRun). Instantiated with
// the other suites; include once per binary.
#include <chrono>

#include "store_contract.hpp"

namespace dcp::contract {

template <class Stores>
class ExportContract : public StoreContract<Stores> {
 protected:
  static constexpr std::chrono::seconds kLease{600};
  const std::vector<JobVersion> kJobs{{"forecast", std::string(64, 'a')}};

  // A run of the forecast job with an export step, its tasks planned
  // window-major as the leader does: 2 windows x selections "10", "2", "1".
  RunId ExportingRun(const std::string& trigger = "manual") {
    const RunId run = RunId::New();
    std::vector<PlannedTask> tasks;
    const char* starts[] = {"2024-01-01 00:00", "2024-02-01 00:00"};
    const char* ends[] = {"2024-01-31 23:59", "2024-02-29 23:59"};
    std::int64_t seq = 0;
    for (int w = 0; w < 2; ++w) {
      for (const char* selection : {"10", "2", "1"}) {
        tasks.push_back(PlannedTask{TaskId::New(), ++seq, selection, Minute(starts[w]),
                                    Minute(ends[w]),
                                    std::string(selection) == "2" ? R"({"k":1})" : ""});
      }
    }
    NewRun record = MakeRun(run, "forecast");
    record.selection_count = 3;
    record.has_export = true;
    record.trigger = trigger;
    this->runs().CreateRun(record, tasks);
    this->runs().MarkPublished(run, seq);
    this->runs().MarkRunning(run);
    this->planned_[run] = tasks;
    return run;
  }
  // Ends every task: the one at `failing` (an index) fails, the others finish
  // with their seq as result.
  void EndAll(const RunId& run, std::size_t failing = 99) {
    for (std::size_t i = 0; i < this->planned_.at(run).size(); ++i) {
      const PlannedTask& t = this->planned_.at(run)[i];
      const TaskMessage m = MessageOf(run, t);
      this->tasks().StartTask(m, "w");
      if (i == failing) {
        this->tasks().FailTask(m.task_id, run, 1, "boom");
      } else {
        this->tasks().FinishTask(m, TaskResult{"exec", "seq" + std::to_string(t.seq) + "\n"});
      }
    }
  }
};
TYPED_TEST_SUITE_P(ExportContract);

TYPED_TEST_P(ExportContract, TasksComeInTheWorkloadsOrderThenWindowStart) {
  const RunId run = this->ExportingRun();
  this->EndAll(run, /*failing=*/4);  // seq 5: selection "2", February
  std::vector<std::string> rows;
  this->runs().ForEachTask(run, [&](const TaskOutcome& t) {
    rows.push_back(t.selection + " " + FormatLocalMinute(t.start).substr(0, 7) + " " +
                   std::string(ToString(t.status)) + " " + t.result.value_or("-") + t.error + " " +
                   t.params);
  });
  EXPECT_EQ(rows, (std::vector<std::string>{
                      "10 2024-01 FINISHED seq1\n ", "10 2024-02 FINISHED seq4\n ",
                      "2 2024-01 FINISHED seq2\n {\"k\":1}", "2 2024-02 FAILED -boom {\"k\":1}",
                      "1 2024-01 FINISHED seq3\n ", "1 2024-02 FINISHED seq6\n "}));
}

TYPED_TEST_P(ExportContract, AnExportIsClaimedOnceByItsJobOnlyWhenTheRunHasEnded) {
  const RunId run = this->ExportingRun();
  EXPECT_EQ(this->Run(run).export_state->status, ExportStatus::kPending);
  EXPECT_FALSE(this->runs().ClaimExport(this->kJobs, this->kLease));  // still running
  this->EndAll(run);
  // Another job, or another version of this one, never claims it.
  EXPECT_FALSE(this->runs().ClaimExport({{"other", std::string(64, 'a')}}, this->kLease));
  EXPECT_FALSE(this->runs().ClaimExport({{"forecast", std::string(64, 'b')}}, this->kLease));
  const auto claim = this->runs().ClaimExport(this->kJobs, this->kLease);
  ASSERT_TRUE(claim);
  EXPECT_EQ(claim->run, run);
  EXPECT_EQ(claim->job, "forecast");
  EXPECT_EQ(claim->attempt, 1);
  EXPECT_EQ(claim->run_status, RunStatus::kFinished);
  EXPECT_EQ(this->Run(run).export_state->status, ExportStatus::kRunning);
  EXPECT_FALSE(this->runs().ClaimExport(this->kJobs, this->kLease));  // claimed
  this->runs().ExportEnded(*claim, false, "exit 1: disk full");
  const auto state = this->Run(run).export_state;
  EXPECT_EQ(state->status, ExportStatus::kFailed);
  EXPECT_EQ(state->attempt, 1);
  EXPECT_EQ(state->error, "exit 1: disk full");
  EXPECT_TRUE(state->finished_at);
  EXPECT_FALSE(this->runs().ClaimExport(this->kJobs, this->kLease));  // FAILED stays FAILED
  EXPECT_EQ(this->Run(run).status, RunStatus::kFinished);             // the run is not touched
}

// A worker of the job must not take a `run --local`'s export from the
// process that computed it (and was told where to write it).
TYPED_TEST_P(ExportContract, ALocalRunIsClaimedOnlyByName) {
  const RunId run = this->ExportingRun("local");
  this->EndAll(run);
  EXPECT_FALSE(this->runs().ClaimExport(this->kJobs, this->kLease));
  const auto claim = this->runs().ClaimExport(this->kJobs, this->kLease, run);
  ASSERT_TRUE(claim);
  EXPECT_EQ(claim->run, run);
}

TYPED_TEST_P(ExportContract, AClaimPastItsLeaseIsTakenOverAndTheOldAttemptIsIgnored) {
  const RunId run = this->ExportingRun();
  this->EndAll(run, 0);
  const auto first = this->runs().ClaimExport(this->kJobs, this->kLease);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->run_status, RunStatus::kFailed);  // a FAILED run is exported too
  const auto second = this->runs().ClaimExport(this->kJobs, std::chrono::seconds(0));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->attempt, 2);
  this->runs().ExportEnded(*first, false, "late");  // the dead claimer's: ignored
  EXPECT_EQ(this->Run(run).export_state->status, ExportStatus::kRunning);
  this->runs().ExportEnded(*second, true, "");
  EXPECT_EQ(this->Run(run).export_state->status, ExportStatus::kFinished);
  EXPECT_EQ(this->Run(run).export_state->error, "");
}

TYPED_TEST_P(ExportContract, ARerunIsRequestedOnlyForAnEndedRunWithAnExport) {
  EXPECT_EQ(this->runs().RequestExport(RunId::New()), ExportRequest::kNotFound);
  const RunId plain = this->RunningRun(1);
  EXPECT_EQ(this->runs().RequestExport(plain), ExportRequest::kNoExport);
  EXPECT_FALSE(this->Run(plain).export_state);
  const RunId run = this->ExportingRun();
  EXPECT_EQ(this->runs().RequestExport(run), ExportRequest::kNotEnded);
  this->EndAll(run);
  const auto claim = this->runs().ClaimExport(this->kJobs, this->kLease, run);
  ASSERT_TRUE(claim);
  EXPECT_EQ(this->runs().RequestExport(run), ExportRequest::kRunning);
  this->runs().ExportEnded(*claim, false, "exit 2");
  EXPECT_EQ(this->runs().RequestExport(run), ExportRequest::kRequested);
  EXPECT_EQ(this->Run(run).export_state->status, ExportStatus::kPending);
  EXPECT_EQ(this->Run(run).export_state->error, "");
  const auto again = this->runs().ClaimExport(this->kJobs, this->kLease, run);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->attempt, 2);

  const RunId cancelled = this->ExportingRun();
  this->runs().CancelRun(cancelled);
  EXPECT_EQ(this->runs().RequestExport(cancelled), ExportRequest::kCancelled);
  EXPECT_FALSE(this->runs().ClaimExport(this->kJobs, this->kLease, cancelled));
}

TYPED_TEST_P(ExportContract, AnOperatorRetryMakesTheExportPendingAgain) {
  const RunId run = this->ExportingRun();
  this->EndAll(run, 0);
  const auto claim = this->runs().ClaimExport(this->kJobs, this->kLease);
  ASSERT_TRUE(claim);
  this->runs().ExportEnded(*claim, true, "");
  ASSERT_EQ(this->runs().RequeueFailed(run).size(), 1u);
  EXPECT_EQ(this->Run(run).export_state->status, ExportStatus::kPending);
  EXPECT_FALSE(this->runs().ClaimExport(this->kJobs, this->kLease));  // until it ends again
}

TYPED_TEST_P(ExportContract, AFailedStepIsAFailedRunWithItsErrorAndNoTasks) {
  const RunId run = RunId::New();
  this->runs().RecordFailedRun(MakeRun(run, "forecast"), "topology.command: exit 1: no input");
  const RunSummary summary = this->Run(run);
  EXPECT_EQ(summary.status, RunStatus::kFailed);
  EXPECT_EQ(summary.job, "forecast");
  EXPECT_EQ(summary.error, "topology.command: exit 1: no input");
  EXPECT_EQ(summary.task_count, 0);
  EXPECT_FALSE(summary.export_state);
  EXPECT_FALSE(this->runs().ActiveRun("forecast"));
  // Its completion is reported, as any ended run's.
  const auto claimed = this->runs().ClaimCompletion(this->kLease);
  ASSERT_TRUE(claimed);
  EXPECT_EQ(claimed->id, run);
  EXPECT_EQ(claimed->error, "topology.command: exit 1: no input");
}

REGISTER_TYPED_TEST_SUITE_P(ExportContract, TasksComeInTheWorkloadsOrderThenWindowStart,
                            AnExportIsClaimedOnceByItsJobOnlyWhenTheRunHasEnded,
                            ALocalRunIsClaimedOnlyByName,
                            AClaimPastItsLeaseIsTakenOverAndTheOldAttemptIsIgnored,
                            ARerunIsRequestedOnlyForAnEndedRunWithAnExport,
                            AnOperatorRetryMakesTheExportPendingAgain,
                            AFailedStepIsAFailedRunWithItsErrorAndNoTasks);

}  // namespace dcp::contract
