#pragma once
// The date range of a run relative to its trigger time (the previous full
// month, week or day, or the current month), in local dates of the run's
// time zone: what a scheduled run covers, and the default of a manual one.
#include <string_view>
#include <utility>

#include "domain/local_time.hpp"
#include "domain/result.hpp"

namespace dcp {

enum class RangeKind { kPreviousMonth, kPreviousWeek, kPreviousDay, kCurrentMonth };

// "previous-month" | "previous-week" | "previous-day" | "current-month".
Result<RangeKind> ParseRangeKind(std::string_view text);

// The date range of a run triggered at `at` (local dates in `tz`): e.g. for
// kPreviousMonth at 2024-03-01 02:00 local, 2024-02-01..2024-02-29.
std::pair<LocalDate, LocalDate> RangeAt(RangeKind kind, SysSeconds at, const TimeZone& tz);

}  // namespace dcp
