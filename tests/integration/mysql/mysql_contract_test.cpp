// The store contracts against MysqlRunStore + MysqlTaskStore on the real
// server, each test in a database of its own.
#include <optional>

#include "export_contract.hpp"
#include "mysql/mysql_run_store.hpp"
#include "mysql/mysql_task_store.hpp"
#include "run_store_contract.hpp"
#include "task_store_contract.hpp"
#include "test_database.hpp"

namespace dcp::contract {
namespace {

class MysqlStores : public mysql::testing::DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    runs_.emplace(session());
    tasks_.emplace(session());
  }
  void TearDown() override {
    tasks_.reset();
    runs_.reset();
    DatabaseTest::TearDown();
  }
  RunStore& runs() { return *runs_; }
  TaskStore& tasks() { return *tasks_; }
  // The run row's counters, which the stores keep equal to its rows.
  TaskCounts Counters(const RunId& run) {
    TaskCounts counts;
    session().Query(
        "SELECT tasks_finished, tasks_failed, tasks_cancelled FROM run WHERE run_id = ?",
        {run.ToString()}, [&](const mysql::Row& r) {
          counts.finished = r.Int(0);
          counts.failed = r.Int(1);
          counts.cancelled = r.Int(2);
        });
    return counts;
  }

 private:
  std::optional<mysql::MysqlRunStore> runs_;
  std::optional<mysql::MysqlTaskStore> tasks_;
};

INSTANTIATE_TYPED_TEST_SUITE_P(MysqlTaskStore, TaskStoreContract, MysqlStores);
INSTANTIATE_TYPED_TEST_SUITE_P(MysqlRunStore, RunStoreContract, MysqlStores);
INSTANTIATE_TYPED_TEST_SUITE_P(MysqlExports, ExportContract, MysqlStores);

}  // namespace
}  // namespace dcp::contract
