// The store contracts against the in-memory fakes (tests/fakes).
#include "export_contract.hpp"
#include "fake_stores.hpp"
#include "run_store_contract.hpp"
#include "task_store_contract.hpp"

namespace dcp::contract {
namespace {

class FakeStores : public ::testing::Test {
 protected:
  RunStore& runs() { return store_; }
  TaskStore& tasks() { return store_; }
  TaskCounts Counters(const RunId& run) { return store_.GetRun(run).value_or(RunSummary{}).counts; }

 private:
  fakes::FakeStore store_;
};

INSTANTIATE_TYPED_TEST_SUITE_P(FakeTaskStore, TaskStoreContract, FakeStores);
INSTANTIATE_TYPED_TEST_SUITE_P(FakeRunStore, RunStoreContract, FakeStores);
INSTANTIATE_TYPED_TEST_SUITE_P(FakeExports, ExportContract, FakeStores);

}  // namespace
}  // namespace dcp::contract
