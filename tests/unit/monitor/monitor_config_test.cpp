#include "monitor/monitor_config.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

#include "support/config_test.hpp"

namespace dcp::monitor {
namespace {

using testing::ExpectError;
using testing::ScopedEnv;

Result<MonitorConfig> Load(std::initializer_list<const char*> args) {
  return testing::LoadArgs(LoadMonitorConfig, "dcp-monitor", args);
}

TEST(MonitorConfig, Defaults) {
  const auto c = Load({});
  ASSERT_TRUE(c) << c.reason();
  EXPECT_FALSE(c->exit_now);
  EXPECT_EQ(c->bind, "0.0.0.0");
  EXPECT_EQ(c->port, 8080);
  EXPECT_TRUE(c->service.api.token.empty());  // mutations off
  EXPECT_EQ(c->service.api.stale_after, std::chrono::seconds(30));
  EXPECT_EQ(c->service.refresh, std::chrono::milliseconds(2000));
  EXPECT_EQ(c->publishing.connection.name, "dcp-monitor");
  EXPECT_EQ(c->publishing.queue.name, "dcp.tasks");
  EXPECT_FALSE(c->workload.selections.empty());
  EXPECT_EQ(c->completion.poll_seconds, 2);
}

TEST(MonitorConfig, TheFlagWinsOverTheEnvironment) {
  ScopedEnv token("DCP_MONITOR_TOKEN", "from-env");
  ScopedEnv port("DCP_MONITOR_PORT", "9000");
  ScopedEnv refresh("DCP_MONITOR_REFRESH", "0.5");
  const auto from_env = Load({});
  ASSERT_TRUE(from_env) << from_env.reason();
  EXPECT_EQ(from_env->service.api.token, "from-env");
  EXPECT_EQ(from_env->port, 9000);
  EXPECT_EQ(from_env->service.refresh, std::chrono::milliseconds(500));
  const auto from_flag = Load({"--token", "from-flag", "--port", "9001"});
  ASSERT_TRUE(from_flag) << from_flag.reason();
  EXPECT_EQ(from_flag->service.api.token, "from-flag");
  EXPECT_EQ(from_flag->port, 9001);
}

TEST(MonitorConfig, AccessSettings) {
  ScopedEnv hosts("DCP_MONITOR_ALLOWED_HOSTS", "dcp.example.com, localhost:8081,");
  ScopedEnv proxies("DCP_MONITOR_TRUSTED_PROXIES", "10.128.0.0/14,::1");
  ScopedEnv read("DCP_MONITOR_READ_TOKEN", "reader");
  const auto c = Load({"--worker-retention", "48", "--answer-timeout", "1.5"});
  ASSERT_TRUE(c) << c.reason();
  EXPECT_EQ(c->allowed_hosts, (std::vector<std::string>{"dcp.example.com", "localhost:8081"}));
  EXPECT_EQ(c->trusted_proxies, (std::vector<std::string>{"10.128.0.0/14", "::1"}));
  EXPECT_EQ(c->service.api.read_token, "reader");
  EXPECT_EQ(c->service.worker_retention, std::chrono::hours(48));
  EXPECT_EQ(c->answer_timeout, std::chrono::milliseconds(1500));
  ExpectError(Load({"--trusted-proxies", "router.local"}), "--trusted-proxies");
  ExpectError(Load({"--trusted-proxies", "10.0.0.0/33"}), "--trusted-proxies");
  ExpectError(Load({"--allowed-hosts", "http://x/"}), "--allowed-hosts");
}

TEST(MonitorConfig, AGeneratedTokenIsRandomPerStart) {
  ScopedEnv token("DCP_MONITOR_TOKEN", "generate");
  const auto a = Load({});
  const auto b = Load({});
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(a->token_generated);
  EXPECT_EQ(a->service.api.token.size(), 32u);
  EXPECT_EQ(a->service.api.token.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(a->service.api.token, b->service.api.token);
  EXPECT_FALSE(Load({"--token", "chosen"})->token_generated);
}

TEST(MonitorConfig, NoneIsNoToken) {  // compose's default read token
  ScopedEnv read("DCP_MONITOR_READ_TOKEN", "none");
  const auto c = Load({"--token", "none"});
  ASSERT_TRUE(c) << c.reason();
  EXPECT_TRUE(c->service.api.read_token.empty()) << "reads open";
  EXPECT_TRUE(c->service.api.token.empty()) << "mutations off";
}

TEST(MonitorConfig, AJobGivesTheQueueAndZoneOfTriggeredRuns) {
  const std::string path = ::testing::TempDir() + "/monitor_config_job.yaml";
  std::ofstream(path) << "name: forecast\ntz: Europe/Oslo\nworkload: {items: [a]}\n"
                         "compute: {command: [./run]}\nexport: {command: [./export]}\n";
  const auto c = Load({"--job", path.c_str(), "--max-tasks-per-run", "7"});
  ASSERT_TRUE(c) << c.reason();
  EXPECT_EQ(c->job.name, "forecast");
  EXPECT_EQ(c->publishing.queue.name, "dcp.forecast");
  EXPECT_EQ(c->time_zone.name(), "Europe/Oslo");
  EXPECT_EQ(c->limits.max_tasks, 7u);
  EXPECT_TRUE(c->workload.selections.empty());  // no builtin step: the grid is not loaded
  EXPECT_TRUE(c->work_dir.starts_with("/tmp/dcp-work/monitor-"));
  EXPECT_EQ(Load({})->job.name, "reference");
}

TEST(MonitorConfig, TheCronOfTheScheduleMetrics) {
  const auto utc = TimeZone::Load("UTC").value();
  const SysSeconds noon{std::chrono::sys_days{std::chrono::year{2026} / 12 / 3} +
                        std::chrono::hours(12)};
  const auto next = [&](const Result<MonitorConfig>& c) { return c->cron->Next(noon, utc); };
  EXPECT_FALSE(Load({})->cron) << "no job schedule, no DCP_CRON: no schedule gauges";
  const std::string path = ::testing::TempDir() + "/monitor_config_schedule.yaml";
  std::ofstream(path) << "name: hourly\nschedule: \"30 * * * *\"\nworkload: {items: [a]}\n"
                         "compute: {command: [./run]}\n";
  const auto job = Load({"--job", path.c_str()});
  ASSERT_TRUE(job && job->cron) << job.reason();
  EXPECT_EQ(next(job), noon + std::chrono::minutes(30)) << "the job's schedule";
  const auto flag = Load({"--job", path.c_str(), "--cron", "15 * * * *"});
  ASSERT_TRUE(flag && flag->cron) << flag.reason();
  EXPECT_EQ(next(flag), noon + std::chrono::minutes(15)) << "the leader's cron wins";
  ScopedEnv cron("DCP_CRON", "0 2 * * *");
  const auto from_env = Load({});
  ASSERT_TRUE(from_env && from_env->cron) << from_env.reason();
  EXPECT_EQ(next(from_env),
            std::chrono::sys_days{std::chrono::year{2026} / 12 / 4} + std::chrono::hours(2));
  EXPECT_FALSE(Load({"--cron", "none"})->cron);
  ExpectError(Load({"--cron", "61 * * * *"}), "--cron");
}

TEST(MonitorConfig, EachBadValueNamesItsFlag) {
  ExpectError(Load({"--tz", "Nowhere/Else"}), "--tz");
  ExpectError(Load({"--topology", "/nonexistent.json"}), "--topology");
  ExpectError(Load({"--amqp-url", "nonsense"}), "--amqp-url");
  const auto mysql = Load({"--mysql-url", "mysql://u:secret-pw@"});
  ExpectError(mysql, "--mysql-url");
  EXPECT_EQ(mysql.reason().find("secret-pw"), std::string::npos) << mysql.reason();
}

TEST(MonitorConfig, ABadWebhookStopsItAtStart) {
  const auto url = Load({"--webhook-url", "https://u:secret-pw@hooks.example.org/x"});
  ExpectError(url, "--webhook-url");
  EXPECT_EQ(url.reason().find("secret-pw"), std::string::npos) << url.reason();
  ScopedEnv ca("DCP_WEBHOOK_CA_FILE", "/nonexistent/ca.pem");
  ExpectError(Load({"--webhook-url", "https://hooks.example.org/x"}), "--webhook-ca-file");
  ASSERT_TRUE(Load({}));  // a CA file and no webhook: nothing to check
}

TEST(MonitorConfig, HelpAndOutOfRangeValuesExitWithoutRunning) {
  const auto help = Load({"--help"});
  ASSERT_TRUE(help) << help.reason();
  EXPECT_EQ(help->exit_now, 0);
  const auto refresh = Load({"--refresh", "0"});
  ASSERT_TRUE(refresh) << refresh.reason();
  EXPECT_EQ(refresh->exit_now, 2);
}

}  // namespace
}  // namespace dcp::monitor
