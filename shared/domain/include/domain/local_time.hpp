#pragma once
// Wall-clock time in a named time zone, and the one rule that maps it to
// absolute time. Kept free of <date/tz.h> so that it is cheap to include.
#include <chrono>
#include <compare>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "domain/result.hpp"

namespace dcp {

using SysMinutes = std::chrono::sys_time<std::chrono::minutes>;
using SysSeconds = std::chrono::sys_seconds;

// A local wall-clock minute: minutes since 1970-01-01 00:00 on the wall
// clock, with no time zone attached.
struct LocalMinute {
  std::chrono::minutes since_epoch{0};
  auto operator<=>(const LocalMinute&) const = default;
  LocalMinute operator+(std::chrono::minutes d) const { return {since_epoch + d}; }
  LocalMinute operator-(std::chrono::minutes d) const { return {since_epoch - d}; }
};

// A calendar date (for --from/--to).
struct LocalDate {
  int year = 1970;
  unsigned month = 1;
  unsigned day = 1;
  auto operator<=>(const LocalDate&) const = default;
};

// "YYYY-MM-DD HH:MM", the message format. Rejects anything else.
std::optional<LocalMinute> ParseLocalMinute(std::string_view text);
std::string FormatLocalMinute(LocalMinute t);
// "YYYY-MM-DD".
std::optional<LocalDate> ParseLocalDate(std::string_view text);
std::string FormatLocalDate(LocalDate d);
LocalMinute MidnightOf(LocalDate d);
LocalDate DateOf(LocalMinute t);

// A time zone of the IANA database (the OS tzdata). Cheap to copy; the zone
// data is owned by the process-wide database. Thread-safe.
class TimeZone {
 public:
  static Result<TimeZone> Load(std::string_view name);
  const std::string& name() const { return name_; }

  // The single mapping rule from wall clock to absolute time, used for
  // window starts and for (inclusive end + 1 minute) alike, so that windows
  // tile without gap or overlap:
  //  - an ambiguous local time (DST fall-back) means its earliest instant;
  //  - a nonexistent local time (DST spring-forward gap) means the
  //    transition instant.
  SysMinutes ToSys(LocalMinute t) const;
  LocalMinute ToLocal(SysMinutes t) const;
  // UTC offset in force at t (for labelling intervals).
  std::chrono::minutes OffsetAt(SysMinutes t) const;

 private:
  TimeZone(std::string name, const void* zone) : name_(std::move(name)), zone_(zone) {}
  std::string name_;
  const void* zone_;  // const date::time_zone*
};

}  // namespace dcp
