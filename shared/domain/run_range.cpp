#include "domain/run_range.hpp"

#include <string>

namespace dcp {
namespace {

LocalDate AddDays(LocalDate d, int days) {
  return DateOf(MidnightOf(d) + std::chrono::minutes(24 * 60 * days));
}

LocalDate FirstOfMonth(LocalDate d) { return {d.year, d.month, 1}; }

LocalDate LastOfMonth(LocalDate d) {
  const LocalDate next =
      d.month == 12 ? LocalDate{d.year + 1, 1, 1} : LocalDate{d.year, d.month + 1, 1};
  return AddDays(next, -1);
}

// 0 = Monday ... 6 = Sunday.
int IsoWeekday(LocalDate d) {
  const auto days = MidnightOf(d).since_epoch.count() / (24 * 60);
  return static_cast<int>(((days % 7) + 7 + 3) % 7);  // 1970-01-01 was a Thursday
}

}  // namespace

Result<RangeKind> ParseRangeKind(std::string_view text) {
  if (text == "previous-month") return RangeKind::kPreviousMonth;
  if (text == "previous-week") return RangeKind::kPreviousWeek;
  if (text == "previous-day") return RangeKind::kPreviousDay;
  if (text == "current-month") return RangeKind::kCurrentMonth;
  return Error{"range '" + std::string(text) +
               "': expected previous-month, previous-week, previous-day or current-month"};
}

std::pair<LocalDate, LocalDate> RangeAt(RangeKind kind, SysSeconds at, const TimeZone& tz) {
  const LocalDate today = DateOf(tz.ToLocal(std::chrono::floor<std::chrono::minutes>(at)));
  switch (kind) {
    case RangeKind::kPreviousMonth: {
      const LocalDate last = AddDays(FirstOfMonth(today), -1);
      return {FirstOfMonth(last), last};
    }
    case RangeKind::kPreviousWeek: {
      const LocalDate monday = AddDays(today, -IsoWeekday(today) - 7);
      return {monday, AddDays(monday, 6)};
    }
    case RangeKind::kPreviousDay: {
      const LocalDate yesterday = AddDays(today, -1);
      return {yesterday, yesterday};
    }
    case RangeKind::kCurrentMonth:
    default:
      return {FirstOfMonth(today), LastOfMonth(today)};
  }
}

}  // namespace dcp
