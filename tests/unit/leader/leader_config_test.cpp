#include "leader/leader_config.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

#include "domain/url_list.hpp"
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
  EXPECT_EQ(RedactedList(c->mysql_url), "mysql://dcp:***@127.0.0.1:17306/dcp");
  EXPECT_EQ(RedactedList(c->amqp_url), "amqp://dcp:***@127.0.0.1:17700/dcp");
  EXPECT_EQ(c->queue.name, "dcp.tasks");
  EXPECT_EQ(c->queue.delivery_limit, 10);
  EXPECT_EQ(c->publish_batch, 2000u);
  EXPECT_EQ(c->run.window, "month");
  EXPECT_EQ(c->run.selections, "all");
  EXPECT_EQ(c->job.name, "reference");
  ASSERT_TRUE(c->reference);
  EXPECT_FALSE(c->reference->selections.empty());  // the embedded reference grid
  EXPECT_EQ(c->computation, "reference");
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

// A job file gives the window, range, time zone, queue, schedule and the
// --local computation; a flag or variable wins over it.
TEST(LeaderConfig, TheJobFileGivesDefaultsThatFlagsOverride) {
  const std::string path = ::testing::TempDir() + "/leader_config_job.yaml";
  std::ofstream(path) << "name: forecast\nworkload: {items: [a, b]}\nwindow: week\n"
                         "range: {from: 2024-01-01, to: 2024-03-31}\ntz: Europe/Oslo\n"
                         "schedule: '0 3 * * 1'\n"
                         "compute: {command: [./run], timeout: 9, attempts: 7}\n";
  const auto c = Load({"run", "--job", path.c_str(), "--local"});
  ASSERT_TRUE(c) << c.reason();
  EXPECT_EQ(c->job.name, "forecast");
  EXPECT_FALSE(c->reference);  // no builtin topology: the grid is not loaded
  EXPECT_EQ(c->queue.name, "dcp.forecast");
  EXPECT_EQ(c->time_zone.name(), "Europe/Oslo");
  EXPECT_EQ(c->run.window, "week");
  EXPECT_EQ(c->run.from, "2024-01-01");
  EXPECT_EQ(c->run.to, "2024-03-31");
  EXPECT_EQ(c->computation, "exec");
  EXPECT_EQ(c->exec.argv, (std::vector<std::string>{"./run"}));
  EXPECT_EQ(c->exec.timeout, std::chrono::seconds(9));
  EXPECT_EQ(c->max_attempts, 7);
  ScopedEnv queue("DCP_QUEUE", "other.queue");
  const auto flags = Load({"run", "--job", path.c_str(), "--window", "day", "--tz", "UTC", "--from",
                           "2024-02-01", "--to", "2024-02-02"});
  ASSERT_TRUE(flags) << flags.reason();
  EXPECT_EQ(flags->queue.name, "other.queue");
  EXPECT_EQ(flags->time_zone.name(), "UTC");
  EXPECT_EQ(flags->run.window, "day");
  EXPECT_EQ(flags->run.from, "2024-02-01");
  const auto schedule = Load({"schedule", "--job", path.c_str(), "--range", "previous-week"});
  ASSERT_TRUE(schedule) << schedule.reason();
  EXPECT_EQ(schedule->schedule->request_template.window.kind, WindowSpec::Kind::kWeek);
  EXPECT_EQ(schedule->schedule->range, RangeKind::kPreviousWeek);
  ExpectError(Load({"schedule", "--job", path.c_str()}), "a schedule needs a relative one");
  ExpectError(Load({"run", "--job", "/nonexistent/job.yaml"}),
              "job file /nonexistent/job.yaml: cannot be read");
}

TEST(LeaderConfig, ScheduleNeedsACronFromTheFlagsOrTheJob) {
  ExpectError(Load({"schedule"}), "schedule needs --cron, or a schedule in the job file");
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

TEST(LeaderConfig, TheHiddenPauseFlagArmsItsFailpointWithBatchesOfAHundred) {
  const auto c = Load({"run", "--test-pause-per-batch-ms", "50"});
  ASSERT_TRUE(c) << c.reason();
  EXPECT_EQ(c->publish_batch, 100u);
  EXPECT_EQ(c->failpoints, (std::vector<failpoint::Armed>{{"leader.pause-per-batch-ms", "50"}}));
}

}  // namespace
}  // namespace dcp::leader
