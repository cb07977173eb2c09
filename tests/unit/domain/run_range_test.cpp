#include "domain/run_range.hpp"

#include <gtest/gtest.h>

namespace dcp {
namespace {

SysSeconds At(const char* local, const TimeZone& tz) {
  return std::chrono::time_point_cast<std::chrono::seconds>(tz.ToSys(*ParseLocalMinute(local)));
}

TEST(RangeAt, PreviousMonthAcrossYearAndLeapDay) {
  const auto tz = *TimeZone::Load("Europe/Amsterdam");
  auto [from, to] = RangeAt(RangeKind::kPreviousMonth, At("2024-03-01 00:30", tz), tz);
  EXPECT_EQ(FormatLocalDate(from), "2024-02-01");
  EXPECT_EQ(FormatLocalDate(to), "2024-02-29");
  std::tie(from, to) = RangeAt(RangeKind::kPreviousMonth, At("2024-01-15 12:00", tz), tz);
  EXPECT_EQ(FormatLocalDate(from), "2023-12-01");
  EXPECT_EQ(FormatLocalDate(to), "2023-12-31");
}

TEST(RangeAt, UsesLocalDateNotUtc) {
  // 00:30 on March 1st in Amsterdam is still February 29th in UTC.
  const auto tz = *TimeZone::Load("Europe/Amsterdam");
  const auto [from, to] = RangeAt(RangeKind::kPreviousDay, At("2024-03-01 00:30", tz), tz);
  EXPECT_EQ(FormatLocalDate(from), "2024-02-29");
  EXPECT_EQ(FormatLocalDate(to), "2024-02-29");
}

TEST(RangeAt, PreviousWeekIsMondayToSunday) {
  const auto tz = *TimeZone::Load("UTC");
  const auto [from, to] =
      RangeAt(RangeKind::kPreviousWeek, At("2024-05-15 08:00", tz), tz);  // Wednesday
  EXPECT_EQ(FormatLocalDate(from), "2024-05-06");
  EXPECT_EQ(FormatLocalDate(to), "2024-05-12");
}

TEST(RangeAt, CurrentMonth) {
  const auto tz = *TimeZone::Load("UTC");
  const auto [from, to] = RangeAt(RangeKind::kCurrentMonth, At("2023-02-10 08:00", tz), tz);
  EXPECT_EQ(FormatLocalDate(from), "2023-02-01");
  EXPECT_EQ(FormatLocalDate(to), "2023-02-28");
}

TEST(ParseRangeKind, RejectsUnknown) {
  EXPECT_FALSE(ParseRangeKind("last-month").ok());
  EXPECT_TRUE(ParseRangeKind("previous-week").ok());
}

}  // namespace
}  // namespace dcp
