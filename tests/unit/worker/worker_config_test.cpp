#include "worker/worker_config.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

#include "domain/url_list.hpp"
#include "runtime/failpoint.hpp"
#include "support/config_test.hpp"

namespace dcp::worker {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

using testing::ExpectError;
using testing::ScopedEnv;

Result<WorkerConfig> Load(std::initializer_list<const char*> args) {
  return testing::LoadArgs(LoadWorkerConfig, "dcp-worker", args);
}

TEST(WorkerConfig, Defaults) {
  const auto c = Load({"--concurrency", "3"});
  ASSERT_TRUE(c) << c.reason();
  EXPECT_FALSE(c->exit_now);
  ASSERT_EQ(c->jobs.size(), 1U);
  EXPECT_EQ(c->jobs[0].job.name, "reference");
  EXPECT_EQ(c->jobs[0].computation, "reference");
  EXPECT_FALSE(c->jobs[0].pinned);
  EXPECT_EQ(c->consumer.prefetch, 6);  // 2 x concurrency
  EXPECT_EQ(c->consumer.queues.size(), 1U);
  EXPECT_EQ(c->consumer.queues[0].name, "dcp.tasks");
  EXPECT_EQ(c->consumer.connection.heartbeat, seconds(10));
  EXPECT_EQ(RedactedList(c->consumer.connection.nodes), "amqp://dcp:***@127.0.0.1:17700/dcp");
  EXPECT_EQ(RedactedList(c->mysql_url), "mysql://dcp:***@127.0.0.1:17306/dcp");
  EXPECT_EQ(c->service.batch_window, milliseconds(250));
  EXPECT_EQ(c->jobs[0].max_attempts, 5);
  EXPECT_EQ(c->service.processor.retry_delay, seconds(5));
  EXPECT_EQ(c->jobs[0].exec.timeout, seconds(3600));
  EXPECT_EQ(c->heartbeat_interval, milliseconds(10'000));
  EXPECT_EQ(c->http_port, 0);
  EXPECT_EQ(c->service.processor.max_result_bytes, std::size_t{4} << 20);
  EXPECT_EQ(c->jobs[0].exec.max_output_bytes, std::size_t{4} << 20);
  EXPECT_FALSE(c->max_result_bytes_given);
  EXPECT_EQ(c->service.drain_timeout, seconds(3630));  // the task timeout + 30 s
  const std::string id = c->service.processor.worker_id;
  EXPECT_NE(id.find(':'), std::string::npos) << id;  // host:pid
  EXPECT_EQ(c->consumer.consumer_tag, id);
  EXPECT_EQ(c->consumer.connection.name, "dcp-worker " + id);
}

TEST(WorkerConfig, ConvertsUnits) {
  const auto c = Load({"--batch-window", "0", "--retry-delay", "7", "--task-timeout", "9",
                       "--heartbeat-interval", "0.5", "--prefetch", "256", "--worker-id", "w1"});
  ASSERT_TRUE(c) << c.reason();
  EXPECT_EQ(c->service.batch_window, milliseconds(0));
  EXPECT_EQ(c->service.processor.retry_delay, seconds(7));
  EXPECT_EQ(c->jobs[0].exec.timeout, seconds(9));
  EXPECT_EQ(c->heartbeat_interval, milliseconds(500));
  EXPECT_EQ(c->consumer.prefetch, 256);
  EXPECT_EQ(c->consumer.consumer_tag, "w1");
  EXPECT_EQ(c->service.drain_timeout, seconds(39));
}

TEST(WorkerConfig, TheResultLimitAndTheDrainDeadlineCanBeChosen) {
  const auto c = Load({"--max-result-bytes", "1000", "--drain-timeout", "20"});
  ASSERT_TRUE(c) << c.reason();
  EXPECT_EQ(c->service.processor.max_result_bytes, 1000U);
  EXPECT_EQ(c->jobs[0].exec.max_output_bytes, 1000U);
  EXPECT_TRUE(c->max_result_bytes_given);
  EXPECT_EQ(c->service.drain_timeout, seconds(20));
}

TEST(WorkerConfig, TheExecCommandGetsOnlyTheVariablesPassedThroughAndNeverDcpsOwn) {
  const auto c = Load({"--exec-env", "PYTHONPATH,TEAM_TOKEN"});
  ASSERT_TRUE(c) << c.reason();
  EXPECT_EQ(c->jobs[0].exec.pass_env, (std::vector<std::string>{"PYTHONPATH", "TEAM_TOKEN"}));
  EXPECT_EQ(c->jobs[0].exec.memory_limit, 0U);
  EXPECT_EQ(Load({"--exec-memory", "512"})->jobs[0].exec.memory_limit, std::size_t{512} << 20);
  ExpectError(Load({"--exec-env", "PYTHONPATH,DCP_MYSQL_URL"}),
              "--exec-env: DCP_MYSQL_URL: dcp's own variables are never passed");
}

std::string JobFile(const std::string& name, const std::string& yaml) {
  const std::string path = ::testing::TempDir() + "/worker_config_" + name + ".yaml";
  std::ofstream(path) << yaml;
  return path;
}

TEST(WorkerConfig, SeveralJobsAQueueAndAComputeStepEach) {
  const std::string forecast = JobFile("forecast",
                                       "name: forecast\nworkload: {items: [a]}\n"
                                       "compute: {command: [./run], timeout: 60, attempts: 2}\n");
  const std::string billing = JobFile("billing",
                                      "name: billing\nqueue: team.billing\nworkload: {items: [a]}\n"
                                      "compute: {builtin: noop}\n");
  const std::string jobs = forecast + "," + billing;
  const auto c = Load({"--job", jobs.c_str(), "--concurrency", "2"});
  ASSERT_TRUE(c) << c.reason();
  ASSERT_EQ(c->jobs.size(), 2U);
  ASSERT_EQ(c->consumer.queues.size(), 2U);
  EXPECT_EQ(c->consumer.queues[0].name, "dcp.forecast");
  EXPECT_EQ(c->consumer.queues[1].name, "team.billing");
  EXPECT_EQ(c->consumer.prefetch, 4);  // per queue
  EXPECT_EQ(c->jobs[0].computation, "exec");
  EXPECT_EQ(c->jobs[0].exec.argv, (std::vector<std::string>{"./run"}));
  EXPECT_EQ(c->jobs[0].exec.timeout, seconds(60));
  EXPECT_EQ(c->jobs[0].max_attempts, 2);
  EXPECT_EQ(c->jobs[1].computation, "noop");
  EXPECT_EQ(c->jobs[1].max_attempts, 5);
  EXPECT_TRUE(c->jobs[0].pinned && c->jobs[1].pinned);
  EXPECT_EQ(c->jobs[0].exec.work_dir, c->work_dir);
  // The longest task timeout (billing's, the default) + 30 s.
  EXPECT_EQ(c->service.drain_timeout, seconds(3630));

  // Flags that hold for every job still win over each file.
  const auto flagged = Load({"--job", forecast.c_str(), "--job", billing.c_str(), "--max-attempts",
                             "9", "--task-timeout", "5"});
  ASSERT_TRUE(flagged) << flagged.reason();
  EXPECT_EQ(flagged->jobs[0].max_attempts, 9);
  EXPECT_EQ(flagged->jobs[1].max_attempts, 9);
  EXPECT_EQ(flagged->jobs[0].exec.timeout, seconds(5));
}

TEST(WorkerConfig, APersistentComputeStepAndTheExecModeFlag) {
  const std::string job = JobFile("kept",
                                  "name: kept\nworkload: {items: [a]}\n"
                                  "compute: {command: [python3, job.py, serve], mode: persistent, "
                                  "startup_timeout: 9, recycle: {tasks: 100, memory: 64}}\n");
  const auto c = Load({"--job", job.c_str()});
  ASSERT_TRUE(c) << c.reason();
  const compute::PersistentSettings& p = c->jobs[0].exec.persistent;
  EXPECT_TRUE(p.enabled);
  EXPECT_EQ(p.startup_timeout, seconds(9));
  EXPECT_EQ(p.startup_tries, 3);
  EXPECT_EQ(p.recycle_tasks, 100);
  EXPECT_EQ(p.recycle_memory, std::size_t{64} << 20);
  EXPECT_FALSE(
      Load({"--job", job.c_str(), "--exec-mode", "oneshot"})->jobs[0].exec.persistent.enabled);
  EXPECT_TRUE(Load({"--exec", "python3 serve.py", "--exec-mode", "persistent"})
                  ->jobs[0]
                  .exec.persistent.enabled);
  EXPECT_EQ(Load({"--exec-mode", "forever"})->exit_now, 2);  // refused by the flag parser
}

TEST(WorkerConfig, SeveralJobsRefuseWhatWouldMakeThemOne) {
  const std::string forecast = JobFile("forecast_a",
                                       "name: forecast\nworkload: {items: [a]}\n"
                                       "compute: {builtin: noop}\n");
  const std::string again = JobFile("forecast_b",
                                    "name: forecast\nqueue: other\nworkload: {items: [a]}\n"
                                    "compute: {builtin: noop}\n");
  const std::string same_queue = JobFile("same_queue",
                                         "name: other\nqueue: dcp.forecast\n"
                                         "workload: {items: [a]}\ncompute: {builtin: noop}\n");
  const std::string two = forecast + "," + same_queue;
  ExpectError(Load({"--job", two.c_str()}), "need a name and a queue each");
  const std::string twice = forecast + "," + again;
  ExpectError(Load({"--job", twice.c_str()}), "need a name and a queue each");
  const std::string apart = JobFile("apart",
                                    "name: apart\nworkload: {items: [a]}\n"
                                    "compute: {builtin: noop}\n");
  const std::string pair = forecast + "," + apart;
  ASSERT_TRUE(Load({"--job", pair.c_str()}));
  for (const char* flag : {"--queue", "--exec", "--computation"}) {
    ExpectError(Load({"--job", pair.c_str(), flag, "x"}),
                std::string(flag) + ": the worker is given 2 jobs");
  }
  ExpectError(Load({"--job", (forecast + ",/nonexistent.yaml").c_str()}), "/nonexistent.yaml");
}

TEST(FitResultLimit, KeepsALimitThatFitsLowersTheDefaultAndRefusesAChosenOneThatDoesNot) {
  constexpr std::size_t kMariaDbDefault = 16u << 20, kMySql57 = 4u << 20;
  EXPECT_EQ(FitResultLimit(4u << 20, false, kMariaDbDefault).value(), 4u << 20);
  EXPECT_EQ(LargestStorableResult(kMariaDbDefault), (16u << 20) - 64 * 1024);
  EXPECT_EQ(LargestStorableResult(1u << 30), (1u << 24) - 1);  // the MEDIUMTEXT column
  EXPECT_EQ(LargestStorableResult(1024), 0U);
  EXPECT_EQ(FitResultLimit(4u << 20, false, kMySql57).value(), kMySql57 - 64 * 1024);
  const auto refused = FitResultLimit(20'000'000, true, kMariaDbDefault);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.reason().find("20000000 does not fit"), std::string::npos) << refused.reason();
  EXPECT_NE(refused.reason().find("16777216"), std::string::npos) << refused.reason();
}

TEST(WorkerConfig, TheFlagWinsOverTheEnvironment) {
  ScopedEnv concurrency("DCP_CONCURRENCY", "4");
  ScopedEnv queue("DCP_QUEUE", "env.tasks");
  const auto from_env = Load({});
  ASSERT_TRUE(from_env) << from_env.reason();
  EXPECT_EQ(from_env->service.concurrency, 4);
  EXPECT_EQ(from_env->consumer.queues[0].name, "env.tasks");
  const auto from_flag = Load({"--concurrency", "2", "--queue", "flag.tasks"});
  ASSERT_TRUE(from_flag) << from_flag.reason();
  EXPECT_EQ(from_flag->service.concurrency, 2);
  EXPECT_EQ(from_flag->consumer.queues[0].name, "flag.tasks");
}

TEST(WorkerConfig, EachBadValueNamesItsFlag) {
  ExpectError(Load({"--computation", "exec"}), "--exec");
  ExpectError(Load({"--computation", "quantum"}), "--computation");
  ExpectError(Load({"--tz", "Nowhere/Else"}), "--tz");
  ExpectError(Load({"--mysql-url", "mysql://u:secret-pw@"}), "--mysql-url");
  ExpectError(Load({"--amqp-url", "amqp:/broken"}), "--amqp-url");
}

TEST(WorkerConfig, ABadUrlKeepsItsPasswordOut) {
  const auto c = Load({"--amqp-url", "amqp://u:secret-pw@host:notaport/v"});
  ExpectError(c, "--amqp-url");
  EXPECT_EQ(c.reason().find("secret-pw"), std::string::npos) << c.reason();
}

TEST(WorkerConfig, TheWebhookIsCheckedAtStart) {
  ExpectError(Load({"--webhook-url", "ftp://hooks.example.org/"}), "--webhook-url");
  ExpectError(
      Load({"--webhook-url", "http://hooks.example.org/", "--webhook-ca-file", "/etc/hosts"}),
      "--webhook-ca-file");
  ScopedEnv url("DCP_WEBHOOK_URL", "https://[::1]:8443/hook?token=t");
  const auto c = Load({});
  ASSERT_TRUE(c) << c.reason();
  EXPECT_EQ(c->completion.webhook_url, "https://[::1]:8443/hook?token=t");
  ScopedEnv export_dir("DCP_EXPORT_DIR", "/nonexistent/export");
  ExpectError(Load({}), "--export-dir");
}

TEST(WorkerConfig, HelpAndOutOfRangeValuesExitWithoutRunning) {
  const auto help = Load({"--help"});
  ASSERT_TRUE(help) << help.reason();
  EXPECT_EQ(help->exit_now, 0);
  const auto range = Load({"--concurrency", "0"});
  ASSERT_TRUE(range) << range.reason();
  EXPECT_EQ(range->exit_now, 2);
}

TEST(WorkerConfig, TheHiddenCrashFlagsArmTheirFailpoints) {
  const auto c = Load({"--test-crash-on-selection", "S1-F2", "--test-crash-before-ack"});
  ASSERT_TRUE(c) << c.reason();
  EXPECT_EQ(c->failpoints, (std::vector<failpoint::Armed>{{"worker.crash-on-selection", "S1-F2"},
                                                          {"worker.crash-before-ack", ""}}));
}

}  // namespace
}  // namespace dcp::worker
