#include "worker/worker_config.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

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
  EXPECT_EQ(c->computation, "reference");
  EXPECT_EQ(c->consumer.prefetch, 6);  // 2 x concurrency
  EXPECT_EQ(c->consumer.queue.name, "dcp.tasks");
  EXPECT_EQ(c->consumer.connection.heartbeat, seconds(10));
  EXPECT_EQ(c->consumer.connection.url.Redacted(), "amqp://dcp:***@127.0.0.1:17700/dcp");
  EXPECT_EQ(c->mysql_url.Redacted(), "mysql://dcp:***@127.0.0.1:17306/dcp");
  EXPECT_EQ(c->service.batch_window, milliseconds(250));
  EXPECT_EQ(c->service.processor.max_attempts, 5);
  EXPECT_EQ(c->service.processor.retry_delay, seconds(5));
  EXPECT_EQ(c->exec.timeout, seconds(3600));
  EXPECT_EQ(c->heartbeat_interval, milliseconds(10'000));
  EXPECT_EQ(c->http_port, 0);
  EXPECT_EQ(c->service.processor.max_result_bytes, std::size_t{4} << 20);
  EXPECT_EQ(c->exec.max_output_bytes, std::size_t{4} << 20);
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
  EXPECT_EQ(c->exec.timeout, seconds(9));
  EXPECT_EQ(c->heartbeat_interval, milliseconds(500));
  EXPECT_EQ(c->consumer.prefetch, 256);
  EXPECT_EQ(c->consumer.consumer_tag, "w1");
  EXPECT_EQ(c->service.drain_timeout, seconds(39));
}

TEST(WorkerConfig, TheResultLimitAndTheDrainDeadlineCanBeChosen) {
  const auto c = Load({"--max-result-bytes", "1000", "--drain-timeout", "20"});
  ASSERT_TRUE(c) << c.reason();
  EXPECT_EQ(c->service.processor.max_result_bytes, 1000U);
  EXPECT_EQ(c->exec.max_output_bytes, 1000U);
  EXPECT_TRUE(c->max_result_bytes_given);
  EXPECT_EQ(c->service.drain_timeout, seconds(20));
}

TEST(WorkerConfig, TheExecCommandGetsOnlyTheVariablesPassedThroughAndNeverDcpsOwn) {
  const auto c = Load({"--exec-env", "PYTHONPATH,TEAM_TOKEN"});
  ASSERT_TRUE(c) << c.reason();
  EXPECT_EQ(c->exec.pass_env, (std::vector<std::string>{"PYTHONPATH", "TEAM_TOKEN"}));
  EXPECT_EQ(c->exec.memory_limit, 0U);
  EXPECT_EQ(Load({"--exec-memory", "512"})->exec.memory_limit, std::size_t{512} << 20);
  ExpectError(Load({"--exec-env", "PYTHONPATH,DCP_MYSQL_URL"}),
              "--exec-env: DCP_MYSQL_URL: dcp's own variables are never passed");
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
  EXPECT_EQ(from_env->consumer.queue.name, "env.tasks");
  const auto from_flag = Load({"--concurrency", "2", "--queue", "flag.tasks"});
  ASSERT_TRUE(from_flag) << from_flag.reason();
  EXPECT_EQ(from_flag->service.concurrency, 2);
  EXPECT_EQ(from_flag->consumer.queue.name, "flag.tasks");
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
