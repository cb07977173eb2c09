#include "grid/load_profile.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace dcp::grid {
namespace {

using std::chrono::minutes;

LocalMinute Local(const char* text) { return *ParseLocalMinute(text); }
// In UTC, so that local and absolute time coincide.
SysMinutes Sys(const char* text) { return SysMinutes{Local(text).since_epoch}; }

double Load(const Node& meter, const char* utc) { return MeterLoadKw(meter, Sys(utc), Local(utc)); }

// Mean of a class over the weekdays of a week, at one time of day.
double MeanShape(MeterClass meter_class, const char* first_day, int hour) {
  double total = 0;
  for (int day = 0; day < 5; ++day) {
    total += ShapeFactor(meter_class,
                         Local(first_day) + std::chrono::days{day} + std::chrono::hours{hour});
  }
  return total / 5;
}

const Node kMeter{"M0001", NodeType::kMeter, "T", 1.0};

TEST(LoadProfile, IsDeterministic) {
  EXPECT_EQ(Load(kMeter, "2024-01-10 18:00"), Load(kMeter, "2024-01-10 18:00"));
  const Node other{"M0002", NodeType::kMeter, "T", 1.0};
  EXPECT_NE(Load(kMeter, "2024-01-10 18:00"), Load(other, "2024-01-10 18:00"));
}

TEST(LoadProfile, IsNonNegativeAndScalesWithBaseLoad) {
  const Node zero{"M0001", NodeType::kMeter, "T", 0.0};
  const Node twice{"M0001", NodeType::kMeter, "T", 2.0};
  const SysMinutes start = Sys("2023-12-25 00:00");
  for (int k = 0; k < 4 * 24 * 14; ++k) {
    const SysMinutes t = start + kIntervalLength * k;
    const LocalMinute local{t.time_since_epoch()};
    const double kw = MeterLoadKw(kMeter, t, local);
    EXPECT_GT(kw, 0.0);
    EXPECT_EQ(MeterLoadKw(zero, t, local), 0.0);
    EXPECT_EQ(MeterLoadKw(twice, t, local), 2 * kw);
  }
}

TEST(LoadProfile, NoiseStaysWithinBounds) {
  double lo = 2, hi = 0;
  for (int k = 0; k < 10000; ++k) {
    const double noise = NoiseFactor(MeterSeed("M0001"), Sys("2024-01-01 00:00") + minutes{15 * k});
    lo = std::min(lo, noise);
    hi = std::max(hi, noise);
  }
  EXPECT_GE(lo, 0.75);
  EXPECT_LT(lo, 0.76);
  EXPECT_LT(hi, 1.25);
  EXPECT_GT(hi, 1.24);
}

TEST(LoadProfile, HomesPeakInTheEveningAndSleepAtNight) {
  const double night = MeanShape(MeterClass::kResidential, "2024-03-04 00:00", 3);
  const double morning = MeanShape(MeterClass::kResidential, "2024-03-04 00:00", 7);
  const double midday = MeanShape(MeterClass::kResidential, "2024-03-04 00:00", 13);
  const double evening = MeanShape(MeterClass::kResidential, "2024-03-04 00:00", 19);
  EXPECT_LT(night, midday);
  EXPECT_GT(morning, midday);
  EXPECT_GT(evening, morning);
}

TEST(LoadProfile, BusinessesPeakInOfficeHoursOnWeekdaysOnly) {
  // 2024-03-04 is a Monday, 2024-03-09 a Saturday.
  const double weekday_noon = ShapeFactor(MeterClass::kCommercial, Local("2024-03-04 11:00"));
  const double weekday_night = ShapeFactor(MeterClass::kCommercial, Local("2024-03-04 02:00"));
  const double saturday_noon = ShapeFactor(MeterClass::kCommercial, Local("2024-03-09 11:00"));
  EXPECT_GT(weekday_noon, 3 * weekday_night);
  EXPECT_LT(saturday_noon, weekday_noon / 2);
}

TEST(LoadProfile, WinterIsHigherThanSummer) {
  for (auto meter_class : {MeterClass::kResidential, MeterClass::kCommercial}) {
    EXPECT_GT(MeanShape(meter_class, "2024-01-15 00:00", 12),
              MeanShape(meter_class, "2024-07-15 00:00", 12));
  }
}

TEST(LoadProfile, ChangesWithTheSeasonGraduallyDayByDay) {
  // Across year ends and leap days: consecutive weekdays at noon differ only by the season.
  const LocalMinute first = Local("2023-01-02 12:00");  // a Monday
  for (int day = 0; day < 3 * 365; ++day) {
    if (day % 7 >= 4) continue;  // Friday to Monday crosses a weekend
    const LocalMinute today = first + std::chrono::days{day};
    EXPECT_NEAR(ShapeFactor(MeterClass::kResidential, today),
                ShapeFactor(MeterClass::kResidential, today + std::chrono::days{1}), 0.005)
        << FormatLocalMinute(today);
  }
}

TEST(LoadProfile, InterpolatesSmoothlyWithinTheDay) {
  const LocalMinute day = Local("2024-03-05 00:00");
  for (int k = 1; k < 96; ++k) {
    const double before = ShapeFactor(MeterClass::kResidential, day + minutes{15 * (k - 1)});
    const double now = ShapeFactor(MeterClass::kResidential, day + minutes{15 * k});
    EXPECT_NEAR(before, now, 0.15) << k;
  }
}

}  // namespace
}  // namespace dcp::grid
