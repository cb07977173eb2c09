#include "compute/synthetic_computation.hpp"

#include <gtest/gtest.h>

namespace dcp::compute {
namespace {

TEST(SyntheticComputation, ParsesTheThreeKinds) {
  EXPECT_TRUE(SyntheticComputation::Parse("noop").ok());
  EXPECT_TRUE(SyntheticComputation::Parse("sleep:10").ok());
  EXPECT_TRUE(SyntheticComputation::Parse("spin:2").ok());
  for (const char* bad : {"", "nope", "sleep", "sleep:", "sleep:-1", "spin:2ms", "spin:99999999"}) {
    EXPECT_FALSE(SyntheticComputation::Parse(bad).ok()) << bad;
  }
}

TEST(SyntheticComputation, SpinBurnsCpuForAtLeastTheGivenTime) {
  auto spin = SyntheticComputation::Parse("spin:20");
  ASSERT_TRUE(spin.ok());
  const TaskMessage task{RunId::New(), TaskId::New(), "S1", {}, {}};
  std::clock_t before = std::clock();
  ASSERT_TRUE(spin.value()->Compute(task, RunContext{}, 1).ok());
  const double cpu_ms = 1000.0 * static_cast<double>(std::clock() - before) / CLOCKS_PER_SEC;
  EXPECT_GE(cpu_ms, 19.0);
}

}  // namespace
}  // namespace dcp::compute
