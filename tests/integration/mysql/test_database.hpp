#pragma once
// A database of its own for one test: dcp_test_<random hex> on the server of
// DCP_TEST_MYSQL_URL, migrated, dropped at the end.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "domain/ids.hpp"
#include "domain/local_time.hpp"
#include "mysql/mysql_url.hpp"
#include "mysql/session.hpp"
#include "ports/run_store.hpp"

namespace dcp::mysql::testing {

// The server under test. Without DCP_TEST_MYSQL_URL the current test is
// skipped, saying how to start the servers (failed under
// DCP_REQUIRE_SERVERS=1, as in CI); an invalid URL fails it.
std::optional<MysqlUrl> ServerUrl();

class DatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // A new session on the test database.
  std::unique_ptr<Session> NewSession() const;
  // The session of the test body.
  Session& session() { return *session_; }

  // Scalar helpers on the test session.
  std::int64_t Int(const std::string& sql, const std::vector<Value>& params = {});
  std::optional<std::string> Str(const std::string& sql, const std::vector<Value>& params = {});
  // Expects run.tasks_finished/failed/cancelled to equal the run's rows.
  void ExpectCountsMatchRows(const RunId& run);

  MysqlUrl url_;
  std::unique_ptr<Session> session_;

 private:
  std::string database_;
};

LocalMinute Minute(const char* text);
PlannedTask Planned(std::int64_t seq, std::string selection, const char* start, const char* end);
// A leader run of `n` tasks (selection "s<seq>", one day each).
std::vector<PlannedTask> PlanTasks(int n);
NewRun MakeRun(const RunId& id, std::string trigger = "manual");

}  // namespace dcp::mysql::testing
