#pragma once
// Splits a date range into the windows of a run's tasks.
#include <string_view>
#include <vector>

#include "domain/local_time.hpp"
#include "domain/result.hpp"

namespace dcp {

struct WindowSpec {
  enum class Kind { kMonth, kWeek, kDay, kHours, kNone };
  Kind kind = Kind::kMonth;
  int hours = 0;  // kHours only: 1..24 (any other value plans whole days)

  // "month", "week", "day", "Nh" (1 <= N <= 24) or "none" (one window over
  // the whole range).
  static Result<WindowSpec> Parse(std::string_view text);
};

struct Window {
  LocalMinute start;
  LocalMinute end;  // inclusive: the next window's start minus one minute
};

// The windows covering the local days [from, to] (both inclusive), cut at
// local midnight: calendar months, ISO weeks (Monday), days, or N wall-clock
// hours from each midnight (the last of a day may be shorter), or the whole
// range as one window (kNone). The first and
// last windows are clipped to the range. Windows that are empty in absolute
// time (inside a DST gap) are dropped. Precondition: from <= to.
std::vector<Window> PlanWindows(LocalDate from, LocalDate to, WindowSpec spec, const TimeZone& tz);

}  // namespace dcp
