#include "domain/cron_schedule.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace dcp {
namespace {

using std::chrono::seconds;

LocalMinute Local(std::string_view text) { return ParseLocalMinute(text).value(); }
// A UTC instant written as "YYYY-MM-DD HH:MM".
SysMinutes Utc(std::string_view text) { return SysMinutes{Local(text).since_epoch}; }
TimeZone Zone(std::string_view name) { return TimeZone::Load(name).value(); }
CronSchedule Cron(std::string_view expr) {
  auto schedule = CronSchedule::Parse(expr);
  EXPECT_TRUE(schedule.ok()) << expr << ": " << (schedule.ok() ? "" : schedule.reason());
  return std::move(schedule).value();
}

// The next `count` firings after `after`, as UTC "YYYY-MM-DD HH:MM".
std::vector<std::string> Firings(const CronSchedule& cron, SysSeconds after, const TimeZone& tz,
                                 int count) {
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) {
    const auto next = cron.Next(after, tz);
    if (!next) break;
    out.push_back(FormatLocalMinute(LocalMinute{next->time_since_epoch()}));
    after = *next;
  }
  return out;
}

TEST(CronSchedule, RejectsMalformedExpressions) {
  const std::vector<std::string> bad = {
      "",
      "   ",
      "* * * *",
      "* * * * * *",
      "60 * * * *",
      "* 24 * * *",
      "* * 0 * *",
      "* * 32 * *",
      "* * * 0 *",
      "* * * 13 *",
      "* * * * 8",
      "-1 * * * *",
      "*/0 * * * *",
      "*/ * * * *",
      "1/2/3 * * * *",
      "5-1 * * * *",
      "1-2-3 * * * *",
      "a * * * *",
      "* * * FOO *",
      "* * * * MONDAY",
      "1,,2 * * * *",
      "1, * * * *",
      "@reboot",
      "@daily 1",
      "@ daily",
      "0 0 * * MON-",
      "0x1 * * * *",
      "1.5 * * * *",
      "* * * * SUN,",
  };
  for (const auto& expr : bad) {
    const auto schedule = CronSchedule::Parse(expr);
    ASSERT_FALSE(schedule.ok()) << "'" << expr << "'";
    EXPECT_NE(schedule.reason().find("cron"), std::string::npos) << schedule.reason();
  }
}

TEST(CronSchedule, NamesTheProblemInTheReason) {
  EXPECT_EQ(CronSchedule::Parse("0 24 * * *").reason(), "cron field hour: out of range 0-23: '24'");
  EXPECT_EQ(CronSchedule::Parse("0 0 * *").reason(),
            "cron: expected 5 fields (min hour dom month dow), got 4");
}

TEST(CronSchedule, FiresEveryFifteenMinutesStrictlyAfter) {
  const CronSchedule cron = Cron("*/15 * * * *");
  const TimeZone utc = Zone("UTC");
  EXPECT_EQ(cron.Next(Utc("2023-05-01 10:07") + seconds{30}, utc), Utc("2023-05-01 10:15"));
  EXPECT_EQ(cron.Next(Utc("2023-05-01 10:14") + seconds{59}, utc), Utc("2023-05-01 10:15"));
  EXPECT_EQ(cron.Next(Utc("2023-05-01 10:15"), utc), Utc("2023-05-01 10:30"));
  EXPECT_EQ(cron.Next(Utc("2023-12-31 23:50"), utc), Utc("2024-01-01 00:00"));
  EXPECT_EQ(Cron("* * * * *").Next(Utc("2023-05-01 10:07") + seconds{1}, utc),
            Utc("2023-05-01 10:08"));
}

TEST(CronSchedule, ExpandsRangesWithSteps) {
  const auto firings = Firings(Cron("0 1-10/4,23 * * *"), Utc("2023-05-01 00:00"), Zone("UTC"), 5);
  EXPECT_EQ(firings,
            (std::vector<std::string>{"2023-05-01 01:00", "2023-05-01 05:00", "2023-05-01 09:00",
                                      "2023-05-01 23:00", "2023-05-02 01:00"}));
  // "N/S" runs from N to the end of the range, names included.
  EXPECT_EQ(Firings(Cron("0 0 1 FEB/4 *"), Utc("2023-01-01 00:00"), Zone("UTC"), 4),
            (std::vector<std::string>{"2023-02-01 00:00", "2023-06-01 00:00", "2023-10-01 00:00",
                                      "2024-02-01 00:00"}));
  EXPECT_EQ(Firings(Cron("50/5 0 * * *"), Utc("2023-05-01 00:00"), Zone("UTC"), 3),
            (std::vector<std::string>{"2023-05-01 00:50", "2023-05-01 00:55", "2023-05-02 00:50"}));
}

TEST(CronSchedule, FiresMonthlyAtLocalMidnight) {
  const auto firings =
      Firings(Cron("0 0 1 * *"), Utc("2023-01-15 00:00"), Zone("Europe/Amsterdam"), 4);
  EXPECT_EQ(firings, (std::vector<std::string>{"2023-01-31 23:00", "2023-02-28 23:00",
                                               "2023-03-31 22:00", "2023-04-30 22:00"}));
}

TEST(CronSchedule, FiresOnEitherDayWhenBothDayFieldsAreRestricted) {
  // Friday or the 13th. 2023-01-13 is both; 2023-02-13 is a Monday.
  const auto firings = Firings(Cron("0 0 13 * FRI"), Utc("2023-01-01 00:00"), Zone("UTC"), 8);
  EXPECT_EQ(firings,
            (std::vector<std::string>{"2023-01-06 00:00", "2023-01-13 00:00", "2023-01-20 00:00",
                                      "2023-01-27 00:00", "2023-02-03 00:00", "2023-02-10 00:00",
                                      "2023-02-13 00:00", "2023-02-17 00:00"}));
}

TEST(CronSchedule, RequiresBothDaysWhenOneDayFieldStartsWithStar) {
  const TimeZone utc = Zone("UTC");
  EXPECT_EQ(Cron("0 0 * * FRI").Next(Utc("2023-01-01 00:00"), utc), Utc("2023-01-06 00:00"));
  EXPECT_EQ(Cron("0 0 13 * *").Next(Utc("2023-01-01 00:00"), utc), Utc("2023-01-13 00:00"));
  // As in Vixie cron, "*/10" counts as unrestricted: days 1,11,21,31 that are Mondays.
  EXPECT_EQ(Cron("0 0 */10 * MON").Next(Utc("2023-01-01 00:00"), utc), Utc("2023-05-01 00:00"));
}

TEST(CronSchedule, AcceptsNamesInAnyCaseAndSundayAsSeven) {
  const TimeZone utc = Zone("UTC");
  const SysSeconds after = Utc("2023-01-01 00:00");  // a Sunday
  EXPECT_EQ(Cron("0 9 * jan-Mar mon-FRI").Next(after, utc), Utc("2023-01-02 09:00"));
  EXPECT_EQ(Cron("0 9 * APR *").Next(after, utc), Utc("2023-04-01 09:00"));
  EXPECT_EQ(Cron("0 9 * * 7").Next(after, utc), Utc("2023-01-01 09:00"));
  EXPECT_EQ(Cron("0 9 * * 0").Next(after, utc), Utc("2023-01-01 09:00"));
  EXPECT_EQ(Cron("0 9 * * sun").Next(after, utc), Utc("2023-01-01 09:00"));
  EXPECT_EQ(Cron("0 9 * * 5-7").Next(Utc("2023-01-02 00:00"), utc), Utc("2023-01-06 09:00"));
}

TEST(CronSchedule, ExpandsMacros) {
  const TimeZone utc = Zone("UTC");
  const SysSeconds after = Utc("2023-05-17 10:30");  // a Wednesday
  struct Case {
    const char* macro;
    const char* next;
  };
  for (const auto& c : {Case{"@yearly", "2024-01-01 00:00"}, Case{"@annually", "2024-01-01 00:00"},
                        Case{"@monthly", "2023-06-01 00:00"}, Case{"@weekly", "2023-05-21 00:00"},
                        Case{"@daily", "2023-05-18 00:00"}, Case{"@midnight", "2023-05-18 00:00"},
                        Case{"@hourly", "2023-05-17 11:00"}, Case{"@HOURLY", "2023-05-17 11:00"},
                        Case{"  @daily ", "2023-05-18 00:00"}}) {
    EXPECT_EQ(Cron(c.macro).Next(after, utc), Utc(c.next)) << c.macro;
  }
}

TEST(CronSchedule, SkipsNonexistentTimesInTheSpringForwardGap) {
  const CronSchedule cron = Cron("30 2 * * *");
  EXPECT_EQ(Firings(cron, Utc("2023-03-11 12:00"), Zone("America/New_York"), 2),
            (std::vector<std::string>{"2023-03-13 06:30", "2023-03-14 06:30"}));
  EXPECT_EQ(Firings(cron, Utc("2023-03-25 12:00"), Zone("Europe/Amsterdam"), 1),
            (std::vector<std::string>{"2023-03-27 00:30"}));
  // Every-15-minutes jumps from 01:45 EST straight to 03:00 EDT.
  EXPECT_EQ(Firings(Cron("*/15 * * * *"), Utc("2023-03-12 06:40"), Zone("America/New_York"), 2),
            (std::vector<std::string>{"2023-03-12 06:45", "2023-03-12 07:00"}));
}

TEST(CronSchedule, FiresOnceInTheRepeatedHourAtFallBack) {
  const TimeZone ny = Zone("America/New_York");
  EXPECT_EQ(Firings(Cron("30 1 * * *"), Utc("2023-11-04 12:00"), ny, 2),
            (std::vector<std::string>{"2023-11-05 05:30", "2023-11-06 06:30"}));
  // From inside the second pass through 01:xx, the repeated minutes do not fire again.
  EXPECT_EQ(Cron("30 1 * * *").Next(Utc("2023-11-05 06:10"), ny), Utc("2023-11-06 06:30"));
  EXPECT_EQ(Firings(Cron("*/30 * * * *"), Utc("2023-11-05 04:45"), ny, 4),
            (std::vector<std::string>{"2023-11-05 05:00", "2023-11-05 05:30", "2023-11-05 07:00",
                                      "2023-11-05 07:30"}));
}

TEST(CronSchedule, FindsNothingForImpossibleDates) {
  const TimeZone utc = Zone("UTC");
  EXPECT_EQ(Cron("0 0 30 2 *").Next(Utc("2023-01-01 00:00"), utc), std::nullopt);
  EXPECT_EQ(Cron("0 0 31 4,6,9,11 *").Next(Utc("2023-01-01 00:00"), utc), std::nullopt);
}

TEST(CronSchedule, FindsTheNextLeapDay) {
  const TimeZone utc = Zone("UTC");
  EXPECT_EQ(Cron("0 0 29 2 *").Next(Utc("2023-03-01 00:00"), utc), Utc("2024-02-29 00:00"));
  EXPECT_EQ(Cron("0 0 29 2 *").Next(Utc("2096-03-01 00:00"), utc), Utc("2104-02-29 00:00"));
}

TEST(CronSchedule, MatchesWallClockMinutes) {
  const CronSchedule cron = Cron("0 9 * * MON-FRI");
  EXPECT_TRUE(cron.Matches(Local("2023-01-02 09:00")));   // Monday
  EXPECT_FALSE(cron.Matches(Local("2023-01-01 09:00")));  // Sunday
  EXPECT_FALSE(cron.Matches(Local("2023-01-02 09:01")));
  EXPECT_TRUE(Cron("30 2 * * *").Matches(Local("2023-03-12 02:30")));  // even if nonexistent
}

}  // namespace
}  // namespace dcp
