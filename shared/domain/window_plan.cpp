#include "domain/window_plan.hpp"

#include <date/date.h>

#include <algorithm>
#include <charconv>

namespace dcp {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

date::local_days DayOf(LocalMinute t) {
  return date::floor<date::days>(date::local_time<minutes>{t.since_epoch});
}

LocalMinute ToMinute(date::local_days day) {
  return LocalMinute{std::chrono::duration_cast<minutes>(day.time_since_epoch())};
}

// The first window boundary strictly after t.
LocalMinute NextBoundary(LocalMinute t, WindowSpec spec) {
  const date::local_days day = DayOf(t);
  switch (spec.kind) {
    case WindowSpec::Kind::kMonth: {
      const date::year_month_day ymd{day};
      return ToMinute(date::local_days{ymd.year() / ymd.month() / 1 + date::months{1}});
    }
    case WindowSpec::Kind::kWeek: {
      const unsigned iso_weekday = date::weekday{day}.iso_encoding();  // Monday = 1
      return ToMinute(day + date::days{8 - static_cast<int>(iso_weekday)});
    }
    case WindowSpec::Kind::kHours: {
      if (spec.hours >= 1 && spec.hours < 24) {
        const hours step{spec.hours};
        const minutes into_day = t.since_epoch - ToMinute(day).since_epoch;
        const LocalMinute next = ToMinute(day) + (into_day / step + 1) * step;
        if (next < ToMinute(day + date::days{1})) return next;
      }
      return ToMinute(day + date::days{1});
    }
    case WindowSpec::Kind::kDay:
    case WindowSpec::Kind::kNone:  // PlanWindows: never past the range's end
      break;
  }
  return ToMinute(day + date::days{1});
}

}  // namespace

Result<WindowSpec> WindowSpec::Parse(std::string_view text) {
  if (text == "month") return WindowSpec{Kind::kMonth, 0};
  if (text == "week") return WindowSpec{Kind::kWeek, 0};
  if (text == "day") return WindowSpec{Kind::kDay, 0};
  if (text == "none") return WindowSpec{Kind::kNone, 0};
  const Error error{"window '" + std::string(text) +
                    "': expected month, week, day, Nh with 1 <= N <= 24, or none"};
  if (text.size() < 2 || text.size() > 3 || text.back() != 'h') return error;
  const std::string_view digits = text.substr(0, text.size() - 1);
  int n = 0;
  const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || ptr != digits.data() + digits.size() || n < 1 || n > 24) return error;
  return WindowSpec{Kind::kHours, n};
}

std::vector<Window> PlanWindows(LocalDate from, LocalDate to, WindowSpec spec, const TimeZone& tz) {
  std::vector<Window> windows;
  if (to < from) return windows;
  const LocalMinute range_end = ToMinute(DayOf(MidnightOf(to)) + date::days{1});
  for (LocalMinute start = MidnightOf(from); start < range_end;) {
    const LocalMinute next = spec.kind == WindowSpec::Kind::kNone
                                 ? range_end
                                 : std::min(NextBoundary(start, spec), range_end);
    if (tz.ToSys(start) < tz.ToSys(next)) windows.push_back({start, next - minutes{1}});
    start = next;
  }
  return windows;
}

}  // namespace dcp
