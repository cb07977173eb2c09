#include "cli/cli_config.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

#include "domain/url_list.hpp"
#include "support/config_test.hpp"

namespace dcp::cli {
namespace {

using testing::ExpectError;
using testing::ScopedEnv;

Result<CliConfig> Load(std::initializer_list<const char*> args) {
  return testing::LoadArgs(LoadCliConfig, "dcp", args);
}

const std::string kRun = "0190f2a4-7c1e-7a3b-9d2e-1f2a3b4c5d6e";

TEST(CliConfig, StatusDefaultsToTheLatestRun) {
  const auto c = Load({"status"});
  ASSERT_TRUE(c) << c.reason();
  EXPECT_FALSE(c->exit_now);
  EXPECT_EQ(c->command, CliCommand::kStatus);
  EXPECT_FALSE(c->run);
  EXPECT_FALSE(c->json || c->watch);
  EXPECT_EQ(c->watch_interval, std::chrono::seconds(2));
  EXPECT_EQ(c->stale_after, std::chrono::seconds(30));
  EXPECT_EQ(RedactedList(c->mysql_url), "mysql://dcp:***@127.0.0.1:17306/dcp");
}

TEST(CliConfig, EachCommandIsRecognised) {
  struct Case {
    std::initializer_list<const char*> args;
    CliCommand command;
  };
  const Case cases[] = {
      {{"runs", "-n", "5"}, CliCommand::kRuns},
      {{"tasks", kRun.c_str(), "--status", "FAILED"}, CliCommand::kTasks},
      {{"workers", "--json"}, CliCommand::kWorkers},
      {{"trigger"}, CliCommand::kTrigger},
      {{"cancel", kRun.c_str()}, CliCommand::kCancel},
      {{"export", kRun.c_str(), "-o", "out.csv"}, CliCommand::kExport},
      {{"retry", kRun.c_str()}, CliCommand::kRetry},
      {{"dead", "list"}, CliCommand::kDeadList},
      {{"dead", "replay", "--run", kRun.c_str()}, CliCommand::kDeadReplay},
      {{"queues", "migrate", "--queue", "nightly"}, CliCommand::kQueuesMigrate},
  };
  for (const auto& k : cases) {
    const auto c = Load(k.args);
    ASSERT_TRUE(c) << c.reason();
    EXPECT_EQ(c->command, k.command) << *k.args.begin();
  }
}

TEST(CliConfig, ConvertsTheValuesOfTheRunCommands) {
  const auto tasks = Load({"tasks", kRun.c_str(), "--status", "FAILED", "-n", "7"});
  ASSERT_TRUE(tasks) << tasks.reason();
  EXPECT_EQ(tasks->run->ToString(), kRun);
  EXPECT_EQ(tasks->status_filter, TaskStatus::kFailed);
  EXPECT_EQ(tasks->task_limit, 7u);
  const auto status = Load({"status", "--watch", "--interval", "5", "--json", kRun.c_str()});
  ASSERT_TRUE(status) << status.reason();
  EXPECT_TRUE(status->watch && status->json);
  EXPECT_EQ(status->watch_interval, std::chrono::seconds(5));
}

TEST(CliConfig, TheFlagWinsOverTheEnvironment) {
  ScopedEnv stale("DCP_STALE_AFTER", "90");
  ScopedEnv window("DCP_WINDOW", "week");
  const auto from_env = Load({"trigger"});
  ASSERT_TRUE(from_env) << from_env.reason();
  EXPECT_EQ(from_env->stale_after, std::chrono::seconds(90));
  EXPECT_EQ(from_env->parameters.window, "week");
  const auto from_flag = Load({"--stale-after", "15", "trigger", "--window", "day"});
  ASSERT_TRUE(from_flag) << from_flag.reason();
  EXPECT_EQ(from_flag->stale_after, std::chrono::seconds(15));
  EXPECT_EQ(from_flag->parameters.window, "day");
}

TEST(CliConfig, TriggerChecksItsParametersUpFront) {
  const auto c = Load({"trigger", "--from", "2024-01-01", "--to", "2024-01-31", "--window", "day",
                       "--tz", "Europe/Amsterdam", "--allow-overlap"});
  ASSERT_TRUE(c) << c.reason();
  EXPECT_EQ(c->time_zone.name(), "Europe/Amsterdam");
  EXPECT_TRUE(c->allow_overlap);
  EXPECT_FALSE(c->workload.selections.empty());
  ExpectError(Load({"trigger", "--window", "fortnight"}), "--window");
  ExpectError(Load({"trigger", "--from", "2024-01-01"}), "--from and --to");
  ExpectError(Load({"trigger", "--tz", "Nowhere/Else"}), "--tz");
  ExpectError(Load({"trigger", "--topology", "/nonexistent.json"}), "--topology");
  ExpectError(Load({"trigger", "--amqp-url", "nonsense"}), "--amqp-url");
}

// dcp trigger --job: the job's queue, zone, window and range unless given,
// its steps for the run; the bound of a run's tasks.
TEST(CliConfig, TriggerTakesTheJobsDefaults) {
  const std::string path = ::testing::TempDir() + "/cli_config_job.yaml";
  std::ofstream(path) << "name: forecast\nworkload: {items: [a, b]}\nwindow: week\n"
                         "range: {from: 2024-01-01, to: 2024-03-31}\ntz: Europe/Oslo\n"
                         "compute: {command: [./run]}\n";
  const auto c = Load({"trigger", "--job", path.c_str(), "--max-tasks-per-run", "99"});
  ASSERT_TRUE(c) << c.reason();
  EXPECT_EQ(c->job.name, "forecast");
  EXPECT_EQ(c->queue.name, "dcp.forecast");
  EXPECT_EQ(c->time_zone.name(), "Europe/Oslo");
  EXPECT_EQ(c->parameters.window, "week");
  EXPECT_EQ(c->parameters.from, "2024-01-01");
  EXPECT_EQ(c->parameters.to, "2024-03-31");
  EXPECT_EQ(c->limits.max_tasks, 99u);
  const auto flags = Load({"--queue", "q", "trigger", "--job", path.c_str(), "--window", "day",
                           "--from", "2024-02-01", "--to", "2024-02-02"});
  ASSERT_TRUE(flags) << flags.reason();
  EXPECT_EQ(flags->queue.name, "q");
  EXPECT_EQ(flags->parameters.window, "day");
  EXPECT_EQ(flags->parameters.from, "2024-02-01");
  const auto reference = Load({"trigger"});
  ASSERT_TRUE(reference) << reference.reason();
  EXPECT_EQ(reference->job.name, "reference");
  EXPECT_EQ(reference->queue.name, "dcp.tasks");
  EXPECT_FALSE(reference->workload.selections.empty());  // the grid, for its builtin steps
  ExpectError(Load({"trigger", "--job", "/nonexistent/job.yaml"}), "cannot be read");
}

TEST(CliConfig, EachBadValueNamesItsFlag) {
  ExpectError(Load({"cancel", "not-a-uuid"}), "RUN_ID 'not-a-uuid'");
  ExpectError(Load({"tasks", kRun.c_str(), "--status", "DONE"}), "--status 'DONE'");
  const auto mysql = Load({"--mysql-url", "mysql://u:secret-pw@", "runs"});
  ExpectError(mysql, "--mysql-url");
  EXPECT_EQ(mysql.reason().find("secret-pw"), std::string::npos) << mysql.reason();
}

TEST(CliConfig, OnlyPublishingCommandsNeedTheBroker) {
  EXPECT_TRUE(Load({"--amqp-url", "nonsense", "runs"}));
  ExpectError(Load({"--amqp-url", "nonsense", "retry", kRun.c_str()}), "--amqp-url");
  ExpectError(Load({"--amqp-url", "nonsense", "dead", "list"}), "--amqp-url");
  ExpectError(Load({"dead", "replay", "--amqp-url", "nonsense"}), "--amqp-url");
  ExpectError(Load({"queues", "migrate", "--amqp-url", "nonsense"}), "--amqp-url");
}

TEST(CliConfig, TlsSettingsReachEveryNodeAndAreCheckedUpFront) {
  const std::string ca = ::testing::TempDir() + "cli_config_test_ca.pem";
  std::ofstream(ca) << "a CA file\n";
  const auto c = Load({"dead", "list", "--amqp-url", "amqps://u:p@a/v,amqps://u:p@b/v",
                       "--amqp-ca-file", ca.c_str(), "--mysql-tls", "verify", "--mysql-ca-file",
                       ca.c_str(), "--mysql-url", "mysql://u:p@a/d,mysql://u:p@b/d"});
  ASSERT_TRUE(c) << c.reason();
  ASSERT_EQ(c->amqp_url.size(), 2U);
  ASSERT_EQ(c->mysql_url.size(), 2U);
  for (const auto& node : c->amqp_url) {
    EXPECT_TRUE(node.tls);
    EXPECT_EQ(node.ca_file, ca);
  }
  for (const auto& node : c->mysql_url) {
    EXPECT_TRUE(node.tls);
    EXPECT_EQ(node.ca_file, ca);
  }
  const auto plain = Load({"runs"});
  ASSERT_TRUE(plain) << plain.reason();
  EXPECT_FALSE(plain->mysql_url.at(0).tls) << "TLS to MySQL is asked for";

  ExpectError(Load({"dead", "list", "--amqp-ca-file", ca.c_str()}), "only used with amqps://");
  ExpectError(Load({"dead", "list", "--amqp-url", "amqps://u:p@a/v", "--amqp-ca-file",
                    "/nonexistent/ca.pem"}),
              "--amqp-ca-file '/nonexistent/ca.pem': cannot be read");
  ExpectError(Load({"runs", "--mysql-ca-file", ca.c_str()}), "only used with --mysql-tls verify");
  ExpectError(Load({"runs", "--mysql-tls", "verify", "--mysql-ca-file", "/nonexistent/ca.pem"}),
              "--mysql-ca-file '/nonexistent/ca.pem': cannot be read");
  const ScopedEnv env("DCP_MYSQL_TLS", "required");
  const auto refused = Load({"runs"});  // off or verify only
  ASSERT_TRUE(refused) << refused.reason();
  EXPECT_EQ(refused->exit_now, 2);
}

TEST(CliConfig, DeadCommandsTakeARunALimitAndTheirFlags) {
  const auto list = Load({"dead", "list"});
  ASSERT_TRUE(list) << list.reason();
  EXPECT_FALSE(list->run);
  EXPECT_EQ(list->dead_limit, 100u);
  EXPECT_FALSE(list->json || list->dry_run);
  const auto json = Load({"dead", "list", "--run", kRun.c_str(), "-n", "3", "--json"});
  ASSERT_TRUE(json) << json.reason();
  EXPECT_EQ(json->run->ToString(), kRun);
  EXPECT_EQ(json->dead_limit, 3u);
  EXPECT_TRUE(json->json);
  const auto replay = Load({"dead", "replay", "--dry-run", "--limit", "7", "--queue", "dcp.team"});
  ASSERT_TRUE(replay) << replay.reason();
  EXPECT_TRUE(replay->dry_run);
  EXPECT_EQ(replay->dead_limit, 7u);
  EXPECT_EQ(replay->queue.DeadLetterName(), "dcp.team.dead");
  ExpectError(Load({"dead", "list", "--run", "nope"}), "--run 'nope'");
  EXPECT_EQ(Load({"dead", "list", "-n", "0"})->exit_now, 2);
  EXPECT_EQ(Load({"dead", "replay", "--json"})->exit_now, 2);  // list's flag only
  EXPECT_EQ(Load({"dead"})->exit_now, 2);                      // list or replay
}

TEST(CliConfig, OnlyTriggerNeedsTheTimeZone) {
  EXPECT_TRUE(Load({"--tz", "Nowhere/Else", "status"}));
  ExpectError(Load({"--tz", "Nowhere/Else", "trigger"}), "--tz");
}

TEST(CliConfig, HelpAndRefusedFlagsExitWithoutRunning) {
  const auto help = Load({"status", "--help"});
  ASSERT_TRUE(help) << help.reason();
  EXPECT_EQ(help->exit_now, 0);
  const auto missing = Load({"tasks"});  // RUN_ID is required
  ASSERT_TRUE(missing) << missing.reason();
  EXPECT_EQ(missing->exit_now, 2);
}

}  // namespace
}  // namespace dcp::cli
