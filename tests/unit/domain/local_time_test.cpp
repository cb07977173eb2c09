#include "domain/local_time.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace dcp {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

LocalMinute Local(std::string_view text) { return ParseLocalMinute(text).value(); }
// A UTC instant written as "YYYY-MM-DD HH:MM".
SysMinutes Utc(std::string_view text) { return SysMinutes{Local(text).since_epoch}; }
TimeZone Zone(std::string_view name) { return TimeZone::Load(name).value(); }

TEST(LocalTime, ParsesAndFormatsMinutes) {
  for (const auto* text : {"1970-01-01 00:00", "2023-01-31 23:59", "2024-02-29 12:30",
                           "1969-12-31 23:59", "2100-12-31 00:01"}) {
    const auto t = ParseLocalMinute(text);
    ASSERT_TRUE(t.has_value()) << text;
    EXPECT_EQ(FormatLocalMinute(*t), text);
  }
  EXPECT_EQ(Local("1970-01-02 01:01").since_epoch, minutes{24 * 60 + 61});
}

TEST(LocalTime, RejectsMalformedMinutes) {
  const std::vector<std::string> bad = {
      "",
      "2023-01-01",
      "2023-01-01 0:00",
      "2023-1-01 00:00",
      "2023-01-01T00:00",
      "2023-01-01 00:00:00",
      "2023-01-01 24:00",
      "2023-01-01 23:60",
      "2023-02-29 00:00",  // not a leap year
      "2023-04-31 00:00",
      "2023-13-01 00:00",
      "2023-00-01 00:00",
      " 2023-01-01 00:00",
      "2023-01-01 00:00 ",
      "+023-01-01 00:00",
      "2023-01-01 -1:00",
  };
  for (const auto& text : bad) EXPECT_FALSE(ParseLocalMinute(text)) << "'" << text << "'";
}

TEST(LocalTime, ParsesAndFormatsDates) {
  const auto d = ParseLocalDate("2024-02-29");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(*d, (LocalDate{2024, 2, 29}));
  EXPECT_EQ(FormatLocalDate(*d), "2024-02-29");
  for (const auto* text : {"2023-02-29", "2100-02-29", "2023-1-1", "20230101", "2023-01-01 "}) {
    EXPECT_FALSE(ParseLocalDate(text)) << text;
  }
  EXPECT_TRUE(ParseLocalDate("2000-02-29"));
}

TEST(LocalTime, MidnightAndDateOfAgree) {
  EXPECT_EQ(FormatLocalMinute(MidnightOf({2023, 3, 26})), "2023-03-26 00:00");
  EXPECT_EQ(DateOf(Local("2023-03-26 23:59")), (LocalDate{2023, 3, 26}));
  EXPECT_EQ(DateOf(Local("1969-12-31 23:59")), (LocalDate{1969, 12, 31}));
}

TEST(TimeZone, RejectsUnknownZone) {
  const auto tz = TimeZone::Load("Mars/Olympus_Mons");
  ASSERT_FALSE(tz.ok());
  EXPECT_NE(tz.reason().find("Mars/Olympus_Mons"), std::string::npos);
}

TEST(TimeZone, MapsWallClockToAbsoluteTime) {
  struct Case {
    const char* zone;
    const char* local;
    const char* utc;
  };
  const Case cases[] = {
      {"UTC", "2023-06-01 12:00", "2023-06-01 12:00"},
      {"Europe/Amsterdam", "2023-01-15 12:00", "2023-01-15 11:00"},
      {"Europe/Amsterdam", "2023-07-15 12:00", "2023-07-15 10:00"},
      {"America/New_York", "2023-01-15 12:00", "2023-01-15 17:00"},
      {"America/New_York", "2023-07-15 12:00", "2023-07-15 16:00"},
      // Nonexistent (spring-forward gap): the transition instant.
      {"Europe/Amsterdam", "2023-03-26 02:00", "2023-03-26 01:00"},
      {"Europe/Amsterdam", "2023-03-26 02:30", "2023-03-26 01:00"},
      {"Europe/Amsterdam", "2023-03-26 03:00", "2023-03-26 01:00"},
      {"America/New_York", "2023-03-12 02:30", "2023-03-12 07:00"},
      // Ambiguous (fall-back): the earliest instant, still on summer time.
      {"Europe/Amsterdam", "2023-10-29 02:30", "2023-10-29 00:30"},
      {"Europe/Amsterdam", "2023-10-29 03:00", "2023-10-29 02:00"},
      {"America/New_York", "2023-11-05 01:00", "2023-11-05 05:00"},
      {"America/New_York", "2023-11-05 01:59", "2023-11-05 05:59"},
      {"America/New_York", "2023-11-05 02:00", "2023-11-05 07:00"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Zone(c.zone).ToSys(Local(c.local)), Utc(c.utc)) << c.zone << " " << c.local;
  }
}

TEST(TimeZone, MapsAbsoluteTimeToWallClock) {
  const TimeZone ny = Zone("America/New_York");
  // Both passes through 01:30 on the fall-back day read 01:30.
  EXPECT_EQ(ny.ToLocal(Utc("2023-11-05 05:30")), Local("2023-11-05 01:30"));
  EXPECT_EQ(ny.ToLocal(Utc("2023-11-05 06:30")), Local("2023-11-05 01:30"));
  EXPECT_EQ(ny.ToLocal(Utc("2023-03-12 07:00")), Local("2023-03-12 03:00"));
  EXPECT_EQ(ny.OffsetAt(Utc("2023-01-01 00:00")), hours{-5});
  EXPECT_EQ(ny.OffsetAt(Utc("2023-07-01 00:00")), hours{-4});
  EXPECT_EQ(Zone("Europe/Amsterdam").name(), "Europe/Amsterdam");
}

}  // namespace
}  // namespace dcp
