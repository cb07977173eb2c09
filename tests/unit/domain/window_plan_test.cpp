#include "domain/window_plan.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace dcp {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

TimeZone Zone(std::string_view name) { return TimeZone::Load(name).value(); }
LocalDate Date(std::string_view text) { return ParseLocalDate(text).value(); }
WindowSpec Spec(std::string_view text) { return WindowSpec::Parse(text).value(); }

std::vector<std::pair<std::string, std::string>> Format(const std::vector<Window>& windows) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& w : windows)
    out.emplace_back(FormatLocalMinute(w.start), FormatLocalMinute(w.end));
  return out;
}

minutes Span(const Window& w, const TimeZone& tz) {
  return tz.ToSys(w.end + minutes{1}) - tz.ToSys(w.start);
}

// The windows cover [from 00:00, to+1 00:00) without gap or overlap, in
// absolute time, and none is empty.
void ExpectTiles(const std::vector<Window>& windows, LocalDate from, LocalDate to,
                 const TimeZone& tz) {
  ASSERT_FALSE(windows.empty());
  EXPECT_EQ(tz.ToSys(windows.front().start), tz.ToSys(MidnightOf(from)));
  EXPECT_EQ(tz.ToSys(windows.back().end + minutes{1}), tz.ToSys(MidnightOf(to) + hours{24}));
  for (std::size_t i = 0; i < windows.size(); ++i) {
    EXPECT_LE(windows[i].start, windows[i].end);
    EXPECT_GT(Span(windows[i], tz), minutes{0}) << FormatLocalMinute(windows[i].start);
    if (i + 1 < windows.size()) {
      EXPECT_EQ(tz.ToSys(windows[i].end + minutes{1}), tz.ToSys(windows[i + 1].start))
          << FormatLocalMinute(windows[i].end);
    }
  }
}

// Without DST the windows also tile on the wall clock.
void ExpectTilesLocally(const std::vector<Window>& windows) {
  for (std::size_t i = 0; i + 1 < windows.size(); ++i) {
    EXPECT_EQ(windows[i].end + minutes{1}, windows[i + 1].start);
  }
}

TEST(WindowSpec, ParsesKnownSpecs) {
  EXPECT_EQ(Spec("month").kind, WindowSpec::Kind::kMonth);
  EXPECT_EQ(Spec("week").kind, WindowSpec::Kind::kWeek);
  EXPECT_EQ(Spec("day").kind, WindowSpec::Kind::kDay);
  EXPECT_EQ(Spec("none").kind, WindowSpec::Kind::kNone);
  for (int n : {1, 6, 7, 12, 24}) {
    const WindowSpec spec = Spec(std::to_string(n) + "h");
    EXPECT_EQ(spec.kind, WindowSpec::Kind::kHours);
    EXPECT_EQ(spec.hours, n);
  }
}

TEST(WindowSpec, RejectsUnknownSpecs) {
  for (const auto* text :
       {"", "h", "0h", "25h", "-1h", "+6h", "6H", "6 h", "1.5h", "100h", "Month", "days", "6"}) {
    const auto spec = WindowSpec::Parse(text);
    ASSERT_FALSE(spec.ok()) << text;
    EXPECT_NE(spec.reason().find("window"), std::string::npos);
  }
}

// Window none: a selection's whole range in one task, across months and a
// DST change (Amsterdam's 2024-03-31).
TEST(PlanWindows, NoneIsTheWholeRangeAsOneWindow) {
  const auto windows = PlanWindows(*ParseLocalDate("2024-02-10"), *ParseLocalDate("2024-04-02"),
                                   Spec("none"), Zone("Europe/Amsterdam"));
  ASSERT_EQ(windows.size(), 1U);
  EXPECT_EQ(FormatLocalMinute(windows[0].start), "2024-02-10 00:00");
  EXPECT_EQ(FormatLocalMinute(windows[0].end), "2024-04-02 23:59");
}

TEST(PlanWindows, SplitsMonthsAcrossYearEnd) {
  const TimeZone utc = Zone("UTC");
  const auto windows = PlanWindows(Date("2022-12-15"), Date("2023-02-10"), Spec("month"), utc);
  using P = std::pair<std::string, std::string>;
  EXPECT_EQ(Format(windows), (std::vector<P>{{"2022-12-15 00:00", "2022-12-31 23:59"},
                                             {"2023-01-01 00:00", "2023-01-31 23:59"},
                                             {"2023-02-01 00:00", "2023-02-10 23:59"}}));
  ExpectTiles(windows, Date("2022-12-15"), Date("2023-02-10"), utc);
  ExpectTilesLocally(windows);
}

TEST(PlanWindows, EndsFebruaryOnLeapDay) {
  const TimeZone utc = Zone("UTC");
  struct Case {
    const char* year;
    const char* february_end;
  };
  for (const auto& c : {Case{"2023", "2023-02-28 23:59"}, Case{"2024", "2024-02-29 23:59"},
                        Case{"2000", "2000-02-29 23:59"}, Case{"2100", "2100-02-28 23:59"}}) {
    const std::string year = c.year;
    const auto windows =
        PlanWindows(Date(year + "-01-01"), Date(year + "-12-31"), Spec("month"), utc);
    ASSERT_EQ(windows.size(), 12U) << year;
    EXPECT_EQ(FormatLocalMinute(windows[1].end), c.february_end);
    ExpectTilesLocally(windows);
  }
}

TEST(PlanWindows, CutsIsoWeeksOnMonday) {
  const TimeZone utc = Zone("UTC");
  // 2022-12-28 is a Wednesday, 2023-01-01 a Sunday.
  const auto windows = PlanWindows(Date("2022-12-28"), Date("2023-01-10"), Spec("week"), utc);
  using P = std::pair<std::string, std::string>;
  EXPECT_EQ(Format(windows), (std::vector<P>{{"2022-12-28 00:00", "2023-01-01 23:59"},
                                             {"2023-01-02 00:00", "2023-01-08 23:59"},
                                             {"2023-01-09 00:00", "2023-01-10 23:59"}}));
  // ISO week 53 of 2020 runs Monday 2020-12-28 to Sunday 2021-01-03.
  EXPECT_EQ(Format(PlanWindows(Date("2020-12-28"), Date("2021-01-03"), Spec("week"), utc)),
            (std::vector<P>{{"2020-12-28 00:00", "2021-01-03 23:59"}}));
}

TEST(PlanWindows, PlansOneDayForASingleDate) {
  const auto windows =
      PlanWindows(Date("2024-02-29"), Date("2024-02-29"), Spec("month"), Zone("UTC"));
  using P = std::pair<std::string, std::string>;
  EXPECT_EQ(Format(windows), (std::vector<P>{{"2024-02-29 00:00", "2024-02-29 23:59"}}));
}

TEST(PlanWindows, PlansNothingWhenRangeIsReversed) {
  EXPECT_TRUE(
      PlanWindows(Date("2024-03-01"), Date("2024-02-29"), Spec("day"), Zone("UTC")).empty());
}

TEST(PlanWindows, CutsHoursFromEachMidnight) {
  const TimeZone utc = Zone("UTC");
  const auto windows = PlanWindows(Date("2023-05-01"), Date("2023-05-02"), Spec("5h"), utc);
  ASSERT_EQ(windows.size(), 10U);
  using P = std::pair<std::string, std::string>;
  EXPECT_EQ(Format(windows)[0], (P{"2023-05-01 00:00", "2023-05-01 04:59"}));
  EXPECT_EQ(Format(windows)[4], (P{"2023-05-01 20:00", "2023-05-01 23:59"}));  // shorter
  EXPECT_EQ(Format(windows)[5], (P{"2023-05-02 00:00", "2023-05-02 04:59"}));
  ExpectTiles(windows, Date("2023-05-01"), Date("2023-05-02"), utc);
  ExpectTilesLocally(windows);
  EXPECT_EQ(Format(PlanWindows(Date("2023-05-01"), Date("2023-05-03"), Spec("24h"), utc)),
            Format(PlanWindows(Date("2023-05-01"), Date("2023-05-03"), Spec("day"), utc)));
}

TEST(PlanWindows, DaysLastTwentyThreeAndTwentyFiveHoursAcrossDst) {
  struct Case {
    const char* zone;
    const char* spring;
    const char* fall;
  };
  for (const auto& c : {Case{"Europe/Amsterdam", "2023-03-26", "2023-10-29"},
                        Case{"America/New_York", "2023-03-12", "2023-11-05"}}) {
    const TimeZone tz = Zone(c.zone);
    const auto spring = PlanWindows(Date(c.spring), Date(c.spring), Spec("day"), tz);
    ASSERT_EQ(spring.size(), 1U);
    EXPECT_EQ(Span(spring[0], tz), hours{23}) << c.zone;
    const auto fall = PlanWindows(Date(c.fall), Date(c.fall), Spec("day"), tz);
    ASSERT_EQ(fall.size(), 1U);
    EXPECT_EQ(Span(fall[0], tz), hours{25}) << c.zone;
    const auto year = PlanWindows(Date("2023-01-01"), Date("2023-12-31"), Spec("day"), tz);
    EXPECT_EQ(year.size(), 365U);
    ExpectTiles(year, Date("2023-01-01"), Date("2023-12-31"), tz);
    ExpectTilesLocally(year);
  }
}

TEST(PlanWindows, DropsTheHourInsideTheSpringForwardGap) {
  const TimeZone amsterdam = Zone("Europe/Amsterdam");
  const auto windows = PlanWindows(Date("2023-03-26"), Date("2023-03-26"), Spec("1h"), amsterdam);
  ASSERT_EQ(windows.size(), 23U);
  EXPECT_EQ(FormatLocalMinute(windows[1].end), "2023-03-26 01:59");
  EXPECT_EQ(FormatLocalMinute(windows[2].start), "2023-03-26 03:00");
  ExpectTiles(windows, Date("2023-03-26"), Date("2023-03-26"), amsterdam);
  for (const auto& w : windows) EXPECT_EQ(Span(w, amsterdam), hours{1});
}

TEST(PlanWindows, StretchesTheRepeatedHourAtFallBack) {
  const TimeZone amsterdam = Zone("Europe/Amsterdam");
  const auto windows = PlanWindows(Date("2023-10-29"), Date("2023-10-29"), Spec("1h"), amsterdam);
  ASSERT_EQ(windows.size(), 24U);
  EXPECT_EQ(FormatLocalMinute(windows[2].start), "2023-10-29 02:00");
  EXPECT_EQ(Span(windows[2], amsterdam), hours{2});
  ExpectTiles(windows, Date("2023-10-29"), Date("2023-10-29"), amsterdam);
  ExpectTilesLocally(windows);

  const TimeZone ny = Zone("America/New_York");
  const auto ny_windows = PlanWindows(Date("2023-11-05"), Date("2023-11-05"), Spec("1h"), ny);
  ASSERT_EQ(ny_windows.size(), 24U);
  EXPECT_EQ(Span(ny_windows[1], ny), hours{2});  // 01:00-01:59 happens twice
  ExpectTiles(ny_windows, Date("2023-11-05"), Date("2023-11-05"), ny);
}

TEST(PlanWindows, ShortensMultiHourWindowsAcrossDst) {
  const TimeZone ny = Zone("America/New_York");
  const auto spring = PlanWindows(Date("2023-03-11"), Date("2023-03-13"), Spec("3h"), ny);
  ASSERT_EQ(spring.size(), 24U);
  EXPECT_EQ(FormatLocalMinute(spring[8].start), "2023-03-12 00:00");
  EXPECT_EQ(Span(spring[8], ny), hours{2});
  ExpectTiles(spring, Date("2023-03-11"), Date("2023-03-13"), ny);
  ExpectTilesLocally(spring);

  const auto fall = PlanWindows(Date("2023-11-05"), Date("2023-11-05"), Spec("7h"), ny);
  using P = std::pair<std::string, std::string>;
  EXPECT_EQ(Format(fall), (std::vector<P>{{"2023-11-05 00:00", "2023-11-05 06:59"},
                                          {"2023-11-05 07:00", "2023-11-05 13:59"},
                                          {"2023-11-05 14:00", "2023-11-05 20:59"},
                                          {"2023-11-05 21:00", "2023-11-05 23:59"}}));
  EXPECT_EQ(Span(fall[0], ny), hours{8});
  ExpectTiles(fall, Date("2023-11-05"), Date("2023-11-05"), ny);
}

TEST(PlanWindows, MonthsTileAYearWithDst) {
  const TimeZone amsterdam = Zone("Europe/Amsterdam");
  const auto windows =
      PlanWindows(Date("2023-01-01"), Date("2023-12-31"), Spec("month"), amsterdam);
  ASSERT_EQ(windows.size(), 12U);
  ExpectTiles(windows, Date("2023-01-01"), Date("2023-12-31"), amsterdam);
  minutes total{0};
  for (const auto& w : windows) total += Span(w, amsterdam);
  EXPECT_EQ(total, hours{365 * 24});
  EXPECT_EQ(Span(windows[2], amsterdam), hours{31 * 24 - 1});  // March
  EXPECT_EQ(Span(windows[9], amsterdam), hours{31 * 24 + 1});  // October
}

}  // namespace
}  // namespace dcp
