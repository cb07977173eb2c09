#include "planning/run_trigger.hpp"

#include <gtest/gtest.h>

#include "fake_publisher.hpp"
#include "fake_stores.hpp"

namespace dcp::planning {
namespace {

class RunTriggerTest : public ::testing::Test {
 protected:
  static LeaderSettings Settings() {
    LeaderSettings s{Utc(), FixedWorkload(Workload{"{}", {"F1", "F2"}}), false, {}};
    s.publishing.give_up_after = std::chrono::milliseconds(0);
    return s;
  }
  static const TimeZone& Utc() {
    static const TimeZone tz = TimeZone::Load("UTC").value();
    return tz;
  }
  static SysSeconds Now() { return SysSeconds(std::chrono::seconds(1'710'000'000)); }  // 2024-03-09

  fakes::FakeStore store;
  fakes::FakePublisher publisher;
  Leader leader{store, &publisher, Settings()};
};

TEST_F(RunTriggerTest, PublishesTheRunOfTheParameters) {
  const auto outcome = TriggerRun(leader, {"2024-01-01", "2024-01-03", "day", "F1"}, Now(), Utc());
  ASSERT_TRUE(outcome) << outcome.reason();
  EXPECT_EQ(outcome->status, RunOutcome::Status::kPublished);
  EXPECT_EQ(outcome->tasks, 3);
  EXPECT_EQ(TriggerExitCode(*outcome), 0);
  EXPECT_EQ(store.GetRun(*outcome->run)->trigger, "manual");
}

TEST_F(RunTriggerTest, DefaultsToThePreviousMonthOfNow) {
  const auto outcome = TriggerRun(leader, {}, Now(), Utc(), "cron");
  ASSERT_TRUE(outcome) << outcome.reason();
  EXPECT_EQ(outcome->tasks, 2);  // February 2024, one month window, two selections
  EXPECT_EQ(store.GetRun(*outcome->run)->trigger, "cron");
}

TEST_F(RunTriggerTest, ABadParameterIsAnErrorAndStartsNothing) {
  const auto outcome = TriggerRun(leader, {"", "", "fortnight", "all"}, Now(), Utc());
  ASSERT_FALSE(outcome);
  EXPECT_NE(outcome.reason().find("window 'fortnight'"), std::string::npos) << outcome.reason();
  EXPECT_TRUE(store.runs.empty());
}

TEST_F(RunTriggerTest, ALockedRunExitsThreeAndSaysWhy) {
  store.lock_held_elsewhere = true;
  const auto outcome = TriggerRun(leader, {}, Now(), Utc());
  ASSERT_TRUE(outcome) << outcome.reason();
  EXPECT_EQ(TriggerExitCode(*outcome), 3);
  EXPECT_EQ(NotStartedReason(*outcome), "another leader holds the run lock");
  EXPECT_EQ(NotStartedMessage(*outcome), "another leader holds the run lock; not starting a run");
}

TEST_F(RunTriggerTest, AnActiveRunExitsThreeAndIsNamed) {
  const auto first = TriggerRun(leader, {}, Now(), Utc());
  const auto second = TriggerRun(leader, {}, Now(), Utc());
  ASSERT_TRUE(second) << second.reason();
  EXPECT_EQ(second->status, RunOutcome::Status::kPreviousRunActive);
  EXPECT_EQ(TriggerExitCode(*second), 3);
  EXPECT_EQ(NotStartedMessage(*second), "run " + first->run->ToString() +
                                            " is still active; not starting another "
                                            "(--allow-overlap to force)");
}

TEST_F(RunTriggerTest, FlagErrorsNameTheFlag) {
  struct Case {
    RunParameters p;
    const char* mentions;
  };
  const Case cases[] = {
      {{"2024-01-01", "", "month", "all"}, "--from and --to"},
      {{"2024-13-01", "2024-12-01", "month", "all"}, "--from '2024-13-01'"},
      {{"2024-01-01", "tomorrow", "month", "all"}, "--to 'tomorrow'"},
      {{"2024-02-01", "2024-01-01", "month", "all"}, "--to 2024-01-01 is before --from"},
      {{"", "", "fortnight", "all"}, "--window"},
      {{"", "", "month", "F1,,F2"}, "--selections"},
  };
  for (const auto& c : cases) {
    const auto r = BuildRunRequestOfFlags(c.p, Now(), Utc());
    ASSERT_FALSE(r) << c.mentions;
    EXPECT_NE(r.reason().find(c.mentions), std::string::npos) << r.reason();
  }
  EXPECT_TRUE(BuildRunRequestOfFlags({"2024-01-01", "2024-01-31", "day", "F1"}, Now(), Utc()));
}

}  // namespace
}  // namespace dcp::planning
