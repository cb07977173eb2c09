#include "planning/run_parameters.hpp"

#include <gtest/gtest.h>

namespace dcp::planning {
namespace {

const TimeZone& Utc() {
  static const TimeZone tz = TimeZone::Load("UTC").value();
  return tz;
}

SysSeconds Now() { return SysSeconds(std::chrono::seconds(1'710'000'000)); }  // 2024-03-09

TEST(RunParameters, DefaultsToThePreviousMonth) {
  const auto r = BuildRunRequest({}, Now(), Utc());
  ASSERT_TRUE(r) << r.reason();
  EXPECT_EQ(FormatLocalDate(r->from), "2024-02-01");
  EXPECT_EQ(FormatLocalDate(r->to), "2024-02-29");
  EXPECT_TRUE(r->selections.empty());
}

TEST(RunParameters, TakesExplicitRangeWindowAndSelections) {
  const auto r = BuildRunRequest({"2024-01-01", "2024-01-07", "day", "S1-F1,S1-F2"}, Now(), Utc());
  ASSERT_TRUE(r) << r.reason();
  EXPECT_EQ(FormatLocalDate(r->to), "2024-01-07");
  EXPECT_EQ(r->selections.size(), 2u);
}

TEST(RunParameters, RejectsBadFieldsWithAReasonNamingThem) {
  struct Case {
    RunParameters p;
    const char* mentions;
  };
  const Case cases[] = {
      {{"2024-01-01", "", "month", "all"}, "from and to"},
      {{"2024-13-01", "2024-12-01", "month", "all"}, "from '2024-13-01'"},
      {{"2024-01-01", "tomorrow", "month", "all"}, "to 'tomorrow'"},
      {{"2024-02-01", "2024-01-01", "month", "all"}, "before"},
      {{"", "", "fortnight", "all"}, "window 'fortnight'"},
      {{"", "", "month", "a,,b"}, "empty id"},
  };
  for (const auto& c : cases) {
    const auto r = BuildRunRequest(c.p, Now(), Utc());
    ASSERT_FALSE(r) << c.mentions;
    EXPECT_NE(r.reason().find(c.mentions), std::string::npos) << r.reason();
  }
}

}  // namespace
}  // namespace dcp::planning
