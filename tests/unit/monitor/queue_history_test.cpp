#include "monitor/queue_history.hpp"

#include <gtest/gtest.h>

namespace dcp::monitor {
namespace {

SysSeconds At(std::int64_t s) { return SysSeconds(std::chrono::seconds(1'700'000'000 + s)); }

TEST(QueueHistory, KeepsOnlyTheWindow) {
  QueueHistory history(std::chrono::seconds(60));
  history.Add(At(0), 5);
  history.Add(At(30), 7);
  history.Add(At(61), 9);
  EXPECT_EQ(history.size(), 2u);
  const auto j = history.ToJson();
  EXPECT_EQ(j.at(0).at("depth"), 7);
  EXPECT_EQ(j.at(1).at("t"), "2023-11-14T22:14:21Z");
}

}  // namespace
}  // namespace dcp::monitor
