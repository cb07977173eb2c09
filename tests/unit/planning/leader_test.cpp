#include "planning/leader.hpp"

#include <gtest/gtest.h>

#include "fake_publisher.hpp"
#include "fake_stores.hpp"

namespace dcp::planning {
namespace {

class LeaderTest : public ::testing::Test {
 protected:
  LeaderSettings Settings() {
    LeaderSettings s{*TimeZone::Load("Europe/Amsterdam"),
                     FixedWorkload(Workload{"{}", {"F1", "F2", "F3"}}),
                     false,
                     {}};
    s.publishing.batch = 4;
    s.publishing.give_up_after = std::chrono::milliseconds(0);  // no retries unless a test asks
    return s;
  }
  RunRequest Request() {
    RunRequest r;
    r.from = *ParseLocalDate("2024-01-01");
    r.to = *ParseLocalDate("2024-03-31");
    r.window = *WindowSpec::Parse("month");
    return r;
  }
  fakes::FakeStore store;
  fakes::FakePublisher publisher;
  Leader leader{store, &publisher, Settings()};
};

TEST_F(LeaderTest, RecordsAndPublishesEveryTask) {
  const auto outcome = leader.Run(Request());
  ASSERT_TRUE(outcome.ok()) << outcome.reason();
  ASSERT_EQ(outcome->status, RunOutcome::Status::kPublished);
  EXPECT_EQ(outcome->tasks, 9);
  EXPECT_EQ(publisher.confirmed.size(), 9u);
  const auto summary = store.GetRun(*outcome->run);
  EXPECT_EQ(summary->status, RunStatus::kRunning);
  EXPECT_EQ(summary->published, 9);
  EXPECT_EQ(summary->counts.queued, 9);
  EXPECT_TRUE(store.locked_jobs.empty());  // released
  const auto first = DecodeTaskMessage(publisher.confirmed.front());
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->run_id, *outcome->run);
  EXPECT_EQ(FormatLocalMinute(first->end), "2024-01-31 23:59");
}

TEST_F(LeaderTest, RefusesWhileAnotherLeaderHoldsTheLock) {
  store.lock_held_elsewhere = true;
  const auto outcome = leader.Run(Request());
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->status, RunOutcome::Status::kLocked);
  EXPECT_TRUE(store.runs.empty());
  EXPECT_TRUE(publisher.confirmed.empty());
}

TEST_F(LeaderTest, RefusesWhilePreviousRunIsActive) {
  const auto first = leader.Run(Request());
  const auto second = leader.Run(Request());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->status, RunOutcome::Status::kPreviousRunActive);
  EXPECT_EQ(second->run, first->run);
}

TEST_F(LeaderTest, RejectsUnknownSelection) {
  auto request = Request();
  request.selections = {"F9"};
  const auto outcome = leader.Run(request);
  ASSERT_FALSE(outcome.ok());
  EXPECT_NE(outcome.reason().find("F9"), std::string::npos);
}

// A job's topology or workload step that fails: nothing recorded, nothing
// published, the step's reason in the outcome; the next run asks again.
TEST_F(LeaderTest, AFailedStepIsRecordedAsAFailedRunAndPublishesNothing) {
  int asked = 0;
  LeaderSettings settings = Settings();
  settings.workload = [&asked]() -> Result<Workload> {
    ++asked;
    return Error{"topology.command: exit 2: no such table"};
  };
  Leader failing(store, &publisher, settings);
  for (int i = 0; i < 2; ++i) {
    const auto outcome = failing.Run(Request());
    ASSERT_TRUE(outcome.ok()) << outcome.reason();
    EXPECT_EQ(outcome->status, RunOutcome::Status::kStepFailed);
    EXPECT_EQ(outcome->failure, "topology.command: exit 2: no such table");
    ASSERT_TRUE(outcome->run);
    const auto run = store.GetRun(*outcome->run);
    ASSERT_TRUE(run);
    EXPECT_EQ(run->status, RunStatus::kFailed);
    EXPECT_EQ(run->error, "topology.command: exit 2: no such table");
    EXPECT_EQ(run->task_count, 0);
  }
  EXPECT_EQ(asked, 2);
  EXPECT_EQ(store.ListRuns(10).size(), 2u);  // one FAILED run per try: the next is not held back
  EXPECT_FALSE(store.ActiveRun(failing.job_name()));
  EXPECT_TRUE(publisher.confirmed.empty());
}

TEST_F(LeaderTest, RefusesAPlanOverTheTaskLimitBeforeMakingIt) {
  LeaderSettings settings = Settings();
  settings.max_tasks = 8;  // 3 selections x 3 months = 9
  Leader limited(store, &publisher, settings);
  const auto outcome = limited.Run(Request());
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.reason(), "the run would have 9 tasks, more than 8 (DCP_MAX_TASKS_PER_RUN)");
  EXPECT_TRUE(store.ListRuns(10).empty());
}

TEST_F(LeaderTest, NextLeaderPublishesExactlyTheUnconfirmedTasks) {
  publisher.fail_after = 5;  // the broker dies in the second batch of 4
  EXPECT_THROW((void)leader.Run(Request()), AmqpError);
  const RunId half = store.run_order.front();
  EXPECT_EQ(store.GetRun(half)->published, 4);  // only the confirmed batch counts
  publisher.fail_after = -1;
  publisher.confirmed.clear();
  auto settings = Settings();
  settings.allow_overlap = true;
  Leader next(store, &publisher, settings);
  const auto outcome = next.Run(Request());
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->resumed, 5);
  EXPECT_EQ(store.GetRun(half)->status, RunStatus::kRunning);
  EXPECT_EQ(publisher.confirmed.size(), 5u + 9u);
}

// The run lock's lease was lost mid-publish (it could not be renewed in
// time, or another leader took it over): no batch goes out after that, the
// run stays PUBLISHING at its watermark for the next leader to resume.
TEST_F(LeaderTest, StopsPublishingOnceTheRunLockIsLost) {
  store.lose_run_lock_after_marks = 1;  // lost once the first batch (of 4) is confirmed
  try {
    (void)leader.Run(Request());
    ADD_FAILURE() << "published without the run lock";
  } catch (const LockLostError& e) {
    EXPECT_NE(std::string(e.what()).find("lost the run lock of job 'reference'"),
              std::string::npos);
  }
  EXPECT_EQ(publisher.confirmed.size(), 4u);
  const RunId half = store.run_order.front();
  EXPECT_EQ(store.GetRun(half)->status, RunStatus::kPublishing);
  EXPECT_EQ(store.GetRun(half)->published, 4);
  EXPECT_TRUE(store.locked_jobs.empty());  // released all the same
}

// Lost while the job's steps ran (they may take long): no run is recorded,
// neither the planned one nor a FAILED one for a step that failed.
TEST_F(LeaderTest, RecordsNoRunOnceTheRunLockIsLostDuringTheSteps) {
  for (const bool step_fails : {false, true}) {
    LeaderSettings settings = Settings();
    settings.workload = [this, step_fails]() -> Result<Workload> {
      store.run_lock_lost = true;
      if (step_fails) return Error{"workload.command: exit 1"};
      return Workload{"{}", {"F1"}};
    };
    Leader slow(store, &publisher, settings);
    EXPECT_THROW((void)slow.Run(Request()), LockLostError) << step_fails;
    EXPECT_TRUE(store.runs.empty()) << step_fails;
    EXPECT_TRUE(publisher.confirmed.empty()) << step_fails;
  }
}

// Runs left half-published by a dead leader are resumed under the lock too.
TEST_F(LeaderTest, StopsResumingOnceTheRunLockIsLost) {
  publisher.fail_after = 4;  // the broker dies after the first batch
  EXPECT_THROW((void)leader.Run(Request()), AmqpError);
  publisher.fail_after = -1;
  publisher.confirmed.clear();
  store.lose_run_lock_after_marks = 1;  // the first resumed batch is the last
  EXPECT_THROW((void)leader.Run(Request()), LockLostError);
  EXPECT_EQ(publisher.confirmed.size(), 4u);
  EXPECT_EQ(store.runs.size(), 1u);  // no new run
  EXPECT_EQ(store.GetRun(store.run_order.front())->published, 8);
}

}  // namespace
}  // namespace dcp::planning
