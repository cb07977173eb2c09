#pragma once
// Standard 5-field cron ("min hour dom month dow") evaluated on the wall
// clock of a time zone. Supports *, lists, ranges, steps, month and day
// names, and @yearly @monthly @weekly @daily @hourly. As in Vixie cron, when
// both day-of-month and day-of-week are restricted a day matching either
// fires. A local time that does not exist (DST gap) never fires; one that
// occurs twice (DST fall-back) fires once, at its first occurrence. As in
// Vixie cron, a day field counts as restricted unless it starts with '*', and
// "N/S" means N-max/S. Day-of-week 0 and 7 are both Sunday.
#include <bitset>
#include <optional>
#include <string_view>

#include "domain/local_time.hpp"
#include "domain/result.hpp"

namespace dcp {

class CronSchedule {
 public:
  static Result<CronSchedule> Parse(std::string_view expr);

  // The first firing strictly after `after`, or nullopt if none within 8
  // years (e.g. "0 0 30 2 *"; 8 years reach Feb 29 across 2100).
  std::optional<SysMinutes> Next(SysSeconds after, const TimeZone& tz) const;

  // Whether the wall-clock minute t matches, regardless of whether it exists.
  bool Matches(LocalMinute t) const;

 private:
  // Day-of-month, day-of-week and month rules for the day starting at midnight.
  bool DayMatches(LocalMinute midnight) const;

  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_of_month_;  // 1..31
  std::bitset<13> months_;         // 1..12
  std::bitset<7> days_of_week_;    // 0 = Sunday
  bool dom_restricted_ = false;
  bool dow_restricted_ = false;
};

}  // namespace dcp
