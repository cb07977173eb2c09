#include "grid/load_profile.hpp"

#include <array>

#include "stable_hash.hpp"

namespace dcp::grid {
namespace {

using Curve = std::array<double, 24>;  // factor at each full local hour

// Means are close to 1, so base_kw stays the meter's mean load.
constexpr Curve kResidentialWeekday = {0.55, 0.45, 0.40, 0.38, 0.38, 0.45, 0.75, 1.15,
                                       1.10, 0.85, 0.75, 0.75, 0.80, 0.75, 0.70, 0.75,
                                       0.90, 1.30, 1.75, 1.85, 1.65, 1.35, 1.00, 0.75};
constexpr Curve kResidentialWeekend = {0.65, 0.52, 0.45, 0.40, 0.38, 0.40, 0.48, 0.65,
                                       0.95, 1.15, 1.20, 1.15, 1.15, 1.05, 0.95, 0.95,
                                       1.05, 1.35, 1.70, 1.75, 1.55, 1.30, 1.05, 0.80};
constexpr Curve kCommercialWeekday = {0.40, 0.40, 0.40, 0.40, 0.40, 0.42, 0.60, 1.00,
                                      1.55, 1.75, 1.80, 1.80, 1.70, 1.75, 1.75, 1.70,
                                      1.60, 1.30, 0.90, 0.65, 0.55, 0.48, 0.44, 0.42};
constexpr Curve kCommercialWeekend = {0.40, 0.40, 0.40, 0.40, 0.40, 0.40, 0.42, 0.45,
                                      0.50, 0.55, 0.60, 0.60, 0.60, 0.60, 0.58, 0.55,
                                      0.52, 0.50, 0.48, 0.45, 0.42, 0.40, 0.40, 0.40};

struct Season {
  double winter;  // factor in mid-January
  double summer;  // factor in mid-July
};
constexpr Season kResidentialSeason = {1.30, 0.75};
constexpr Season kCommercialSeason = {1.10, 0.90};

constexpr std::int64_t kMinutesPerDay = 24 * 60;
constexpr double kHalfYearDays = 365.2425 / 2;
constexpr double kMidJanuary = 14.0;  // day of year, 0-based

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

std::int64_t FloorMod(std::int64_t a, std::int64_t b) { return a - FloorDiv(a, b) * b; }

// 0-based day of the year of a day count since 1970-01-01 (proleptic
// Gregorian), after H. Hinnant's civil_from_days.
std::int64_t DayOfYear(std::int64_t days) {
  const std::int64_t z = days + 719468;
  const std::int64_t era = FloorDiv(z, 146097);
  const std::int64_t doe = z - era * 146097;                                       // [0, 146096]
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const std::int64_t doy_from_march = doe - (365 * yoe + yoe / 4 - yoe / 100);     // [0, 365]
  const std::int64_t year_from_march = yoe + era * 400;
  const std::int64_t year = year_from_march + (doy_from_march >= 306 ? 1 : 0);
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  // March 1 is day 59 of a common year, 60 of a leap year.
  const std::int64_t march_first = leap ? 60 : 59;
  return doy_from_march >= 306 ? doy_from_march - 306 : doy_from_march + march_first;
}

double Interpolate(const Curve& curve, std::int64_t minute_of_day) {
  const auto hour = static_cast<std::size_t>(minute_of_day / 60);
  const double frac = static_cast<double>(minute_of_day % 60) / 60.0;
  const double a = curve[hour];
  const double b = curve[(hour + 1) % curve.size()];
  return a + (b - a) * frac;
}

// Linear between the winter maximum and the summer minimum.
double SeasonFactor(const Season& season, std::int64_t day_of_year) {
  double distance = static_cast<double>(day_of_year) - kMidJanuary;
  if (distance < 0) distance = -distance;
  if (distance > kHalfYearDays) distance = 2 * kHalfYearDays - distance;
  return season.winter - (season.winter - season.summer) * (distance / kHalfYearDays);
}

}  // namespace

std::uint64_t MeterSeed(std::string_view meter_id) { return StableHash(meter_id); }

MeterClass ClassOf(std::uint64_t meter_seed) {
  return (meter_seed >> 60) < 3 ? MeterClass::kCommercial : MeterClass::kResidential;
}

double ShapeFactor(MeterClass meter_class, LocalMinute local_start) {
  const std::int64_t minutes = local_start.since_epoch.count();
  const std::int64_t days = FloorDiv(minutes, kMinutesPerDay);
  const std::int64_t minute_of_day = minutes - days * kMinutesPerDay;
  // 1970-01-01 was a Thursday; weekday 0 = Monday.
  const std::int64_t weekday = FloorMod(days + 3, 7);
  const bool weekend = weekday >= 5;
  const bool commercial = meter_class == MeterClass::kCommercial;
  const Curve& curve = commercial ? (weekend ? kCommercialWeekend : kCommercialWeekday)
                                  : (weekend ? kResidentialWeekend : kResidentialWeekday);
  const Season& season = commercial ? kCommercialSeason : kResidentialSeason;
  return Interpolate(curve, minute_of_day) * SeasonFactor(season, DayOfYear(days));
}

double NoiseFactor(std::uint64_t meter_seed, SysMinutes interval_start) {
  const auto minute = static_cast<std::uint64_t>(interval_start.time_since_epoch().count());
  return 0.75 + 0.5 * UnitInterval(SplitMix64(meter_seed ^ SplitMix64(minute)));
}

double MeterLoadKw(const Node& meter, SysMinutes interval_start, LocalMinute local_start) {
  const std::uint64_t seed = MeterSeed(meter.id);
  return meter.base_kw * ShapeFactor(ClassOf(seed), local_start) *
         NoiseFactor(seed, interval_start);
}

}  // namespace dcp::grid
