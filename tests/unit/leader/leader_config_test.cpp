#include "leader/leader_config.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "runtime/failpoint.hpp"
#include "support/config_test.hpp"

namespace dcp::leader {
namespace {

using testing::ExpectError;
using testing::ScopedEnv;

Result<LeaderConfig> Load(std::initializer_list<const char*> args) {
  return testing::LoadArgs(LoadLeaderConfig, "dcp-leader", args);
}

TEST(LeaderConfig, DefaultsWorkAgainstTheStack) {
  const auto c = Load({"run"});
  ASSERT_TRUE(c) << c.reason();
  EXPECT_FALSE(c->exit_now);
  EXPECT_EQ(c->command, LeaderCommand::kRun);
  EXPECT_EQ(c->time_zone.name(), "UTC");
  EXPECT_EQ(c->mysql_url.Redacted(), "mysql://dcp:***@127.0.0.1:17306/dcp");
  EXPECT_EQ(c->amqp_url.Redacted(), "amqp://dcp:***@127.0.0.1:17700/dcp");
  EXPECT_EQ(c->queue.name, "dcp.tasks");
  EXPECT_EQ(c->queue.delivery_limit, 10);
  EXPECT_EQ(c->publish_batch, 2000u);
  EXPECT_EQ(c->run.window, "month");
  EXPECT_EQ(c->run.selections, "all");
  EXPECT_FALSE(c->workload.selections.empty());  // the embedded reference grid
  EXPECT_FALSE(c->wait || c->local || c->allow_overlap);
  EXPECT_EQ(c->log.level, "info");
}

TEST(LeaderConfig, TakesTheRunFlags) {
  const auto c = Load({"run", "--from", "2024-01-01", "--to", "2024-01-31", "--window", "day",
                       "--wait", "--allow-overlap", "--tz", "Europe/Amsterdam"});
  ASSERT_TRUE(c) << c.reason();
  EXPECT_EQ(c->run.from, "2024-01-01");
  EXPECT_EQ(c->run.to, "2024-01-31");
  EXPECT_EQ(c->run.window, "day");
  EXPECT_TRUE(c->wait);
  EXPECT_TRUE(c->allow_overlap);
  EXPECT_EQ(c->time_zone.name(), "Europe/Amsterdam");
}

TEST(LeaderConfig, TheFlagWinsOverTheEnvironment) {
  ScopedEnv window("DCP_WINDOW", "week");
  ScopedEnv tz("DCP_TZ", "Europe/Amsterdam");
  const auto from_env = Load({"run"});
  ASSERT_TRUE(from_env) << from_env.reason();
  EXPECT_EQ(from_env->run.window, "week");
  EXPECT_EQ(from_env->time_zone.name(), "Europe/Amsterdam");
  const auto from_flag = Load({"run", "--window", "day", "--tz", "UTC"});
  ASSERT_TRUE(from_flag) << from_flag.reason();
  EXPECT_EQ(from_flag->run.window, "day");
  EXPECT_EQ(from_flag->time_zone.name(), "UTC");
}

TEST(LeaderConfig, EachBadValueNamesItsFlag) {
  ExpectError(Load({"run", "--window", "fortnight"}), "--window");
  ExpectError(Load({"run", "--selections", "A,,B"}), "--selections");
  ExpectError(Load({"run", "--from", "2024-01-01"}), "--from and --to");
  ExpectError(Load({"run", "--from", "2024-13-01", "--to", "2024-12-31"}), "--from '2024-13-01'");
  ExpectError(Load({"run", "--from", "2024-02-01", "--to", "2024-01-01"}), "--to 2024-01-01");
  ExpectError(Load({"run", "--tz", "Mars/Olympus"}), "--tz");
  ExpectError(Load({"run", "--topology", "/nonexistent/grid.json"}), "--topology");
  ExpectError(Load({"schedule", "--cron", "61 * * * *"}), "--cron");
  ExpectError(Load({"schedule", "--cron", "0 2 1 * *", "--range", "next-year"}), "--range");
  ExpectError(Load({"resume", "not-a-uuid"}), "RUN_ID 'not-a-uuid'");
}

TEST(LeaderConfig, ABadUrlIsRefusedWithoutItsPassword) {
  const auto mysql = Load({"run", "--mysql-url", "postgres://u:secret-pw@h/db"});
  ExpectError(mysql, "--mysql-url");
  EXPECT_EQ(mysql.reason().find("secret-pw"), std::string::npos) << mysql.reason();
  ExpectError(Load({"run", "--amqp-url", "http://u:secret-pw@h/v"}), "--amqp-url");
}

TEST(LeaderConfig, MigrateAndLocalRunsNeedNoBroker) {
  EXPECT_TRUE(Load({"migrate", "--amqp-url", "nonsense"}));
  EXPECT_TRUE(Load({"migrate", "--topology", "/nonexistent/grid.json"}));
  EXPECT_TRUE(Load({"run", "--local", "--amqp-url", "nonsense"}));
}

TEST(LeaderConfig, ScheduleTakesCronRangeAndRunNow) {
  ScopedEnv cron("DCP_CRON", "0 2 1 * *");
  const auto c = Load({"schedule", "--range", "previous-day", "--run-now", "--window", "day",
                       "--http-port", "9100"});
  ASSERT_TRUE(c) << c.reason();
  EXPECT_EQ(c->command, LeaderCommand::kSchedule);
  ASSERT_TRUE(c->schedule);
  EXPECT_EQ(c->schedule->range, RangeKind::kPreviousDay);
  EXPECT_TRUE(c->schedule->run_at_start);
  EXPECT_EQ(c->schedule->request_template.window.kind, WindowSpec::Kind::kDay);
  EXPECT_EQ(c->http_port, 9100);
}

TEST(LeaderConfig, ResumeTakesTheRun) {
  const RunId run = RunId::New();
  const std::string text = run.ToString();
  const auto c = Load({"resume", text.c_str()});
  ASSERT_TRUE(c) << c.reason();
  EXPECT_EQ(c->command, LeaderCommand::kResume);
  EXPECT_EQ(c->resume_run, run);
}

TEST(LeaderConfig, HelpAndRefusedFlagsExitWithoutRunning) {
  const auto help = Load({"--help"});
  ASSERT_TRUE(help) << help.reason();
  EXPECT_EQ(help->exit_now, 0);
  const auto unknown = Load({"run", "--no-such-flag"});
  ASSERT_TRUE(unknown) << unknown.reason();
  EXPECT_EQ(unknown->exit_now, 2);
  const auto no_command = Load({});
  ASSERT_TRUE(no_command) << no_command.reason();
  EXPECT_EQ(no_command->exit_now, 2);
  const auto batch = Load({"run", "--publish-batch", "0"});
  ASSERT_TRUE(batch) << batch.reason();
  EXPECT_EQ(batch->exit_now, 2);
}

TEST(LeaderConfig, TheHiddenCrashFlagArmsItsFailpointWithBatchesOfAHundred) {
  const auto c = Load({"run", "--test-crash-after-batches", "3"});
  ASSERT_TRUE(c) << c.reason();
  EXPECT_EQ(c->publish_batch, 100u);
  EXPECT_EQ(c->failpoints, (std::vector<failpoint::Armed>{{"leader.crash-after-batches", "3"}}));
}

}  // namespace
}  // namespace dcp::leader
