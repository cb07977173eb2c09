#include "test_database.hpp"

#include <random>

#include "mysql/driver.hpp"
#include "mysql/migrator.hpp"
#include "support/servers.hpp"

namespace dcp::mysql::testing {
namespace {

std::string RandomHex() {
  std::random_device rd;
  std::uniform_int_distribution<unsigned> nibble(0, 15);
  std::string out;
  for (int i = 0; i < 16; ++i) out.push_back("0123456789abcdef"[nibble(rd)]);
  return out;
}

}  // namespace

std::optional<MysqlUrl> ServerUrl() {
  const auto text = dcp::testing::ServerUrl("DCP_TEST_MYSQL_URL");
  if (!text) return std::nullopt;
  auto url = MysqlUrl::Parse(*text);
  if (!url) {
    ADD_FAILURE() << "DCP_TEST_MYSQL_URL: " << url.reason();
    return std::nullopt;
  }
  return *url;
}

void DatabaseTest::SetUp() {
  InitDriver();
  auto server = ServerUrl();
  if (!server) {
    // Skipped, or already failed fatally, by ServerUrl: no second message.
    if (IsSkipped() || HasFatalFailure()) return;
    GTEST_FAIL() << "no server to test against";
  }
  database_ = "dcp_test_" + RandomHex();
  Session admin(*server);
  admin.Execute("CREATE DATABASE " + database_ + " CHARACTER SET utf8mb4");
  url_ = *server;
  url_.database = database_;
  session_ = NewSession();
  Migrator().Migrate(*session_);
}

void DatabaseTest::TearDown() {
  session_.reset();
  if (database_.empty()) return;
  auto server = ServerUrl();
  if (!server) return;
  Session admin(*server);
  admin.Execute("DROP DATABASE IF EXISTS " + database_);
}

std::unique_ptr<Session> DatabaseTest::NewSession() const {
  return std::make_unique<Session>(url_);
}

std::int64_t DatabaseTest::Int(const std::string& sql, const std::vector<Value>& params) {
  return session_->QueryInt(sql, params).value_or(-1);
}

std::optional<std::string> DatabaseTest::Str(const std::string& sql,
                                             const std::vector<Value>& params) {
  return session_->QueryString(sql, params);
}

void DatabaseTest::ExpectCountsMatchRows(const RunId& run) {
  const std::string id = run.ToString();
  EXPECT_EQ(
      Int("SELECT tasks_finished FROM run WHERE run_id = ?", {id}),
      Int("SELECT COUNT(*) FROM run_process WHERE run_id = ? AND task_status = 'FINISHED'", {id}));
  EXPECT_EQ(
      Int("SELECT tasks_failed FROM run WHERE run_id = ?", {id}),
      Int("SELECT COUNT(*) FROM run_process WHERE run_id = ? AND task_status = 'FAILED'", {id}));
  EXPECT_EQ(
      Int("SELECT tasks_cancelled FROM run WHERE run_id = ?", {id}),
      Int("SELECT COUNT(*) FROM run_process WHERE run_id = ? AND task_status = 'CANCELLED'", {id}));
  // STARTED per worker: run_worker's counts (zeros left out) are the rows'.
  EXPECT_EQ(Str("SELECT GROUP_CONCAT(worker, '=', tasks_started ORDER BY worker) FROM run_worker "
                "WHERE run_id = ? AND tasks_started <> 0",
                {id}),
            Str("SELECT GROUP_CONCAT(worker, '=', n ORDER BY worker) FROM (SELECT worker, COUNT(*) "
                "AS n FROM run_process WHERE run_id = ? AND task_status = 'STARTED' GROUP BY "
                "worker) t",
                {id}));
}

LocalMinute Minute(const char* text) { return ParseLocalMinute(text).value(); }

PlannedTask Planned(std::int64_t seq, std::string selection, const char* start, const char* end) {
  return PlannedTask{TaskId::New(), seq, std::move(selection), Minute(start), Minute(end)};
}

std::vector<PlannedTask> PlanTasks(int n) {
  std::vector<PlannedTask> tasks;
  for (int i = 1; i <= n; ++i) {
    tasks.push_back(Planned(i, "s" + std::to_string(i), "2023-01-01 00:00", "2023-01-01 23:59"));
  }
  return tasks;
}

NewRun MakeRun(const RunId& id, std::string trigger) {
  RunContext context{"Europe/Amsterdam", R"({"feeders":[]})"};
  context.job_name = "reference";
  return NewRun{id, std::move(trigger), R"({"from":"2023-01-01"})", std::move(context)};
}

}  // namespace dcp::mysql::testing
