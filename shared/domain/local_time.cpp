#include "domain/local_time.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <charconv>
#include <cstdio>

namespace dcp {
namespace {

using std::chrono::minutes;

const date::time_zone* Zone(const void* z) { return static_cast<const date::time_zone*>(z); }

date::local_time<minutes> ToDate(LocalMinute t) { return date::local_time<minutes>{t.since_epoch}; }

// Parses exactly `width` ASCII digits.
bool Digits(std::string_view text, std::size_t pos, std::size_t width, int& out) {
  if (pos + width > text.size()) return false;
  for (std::size_t i = pos; i < pos + width; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  auto [ptr, ec] = std::from_chars(text.data() + pos, text.data() + pos + width, out);
  return ec == std::errc() && ptr == text.data() + pos + width;
}

}  // namespace

std::optional<LocalDate> ParseLocalDate(std::string_view text) {
  int y = 0, m = 0, d = 0;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  if (!Digits(text, 0, 4, y) || !Digits(text, 5, 2, m) || !Digits(text, 8, 2, d)) {
    return std::nullopt;
  }
  date::year_month_day ymd{date::year{y}, date::month{static_cast<unsigned>(m)},
                           date::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  return LocalDate{y, static_cast<unsigned>(m), static_cast<unsigned>(d)};
}

std::string FormatLocalDate(LocalDate d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", d.year, d.month, d.day);
  return buf;
}

std::optional<LocalMinute> ParseLocalMinute(std::string_view text) {
  if (text.size() != 16 || text[10] != ' ' || text[13] != ':') return std::nullopt;
  auto day = ParseLocalDate(text.substr(0, 10));
  int h = 0, mi = 0;
  if (!day || !Digits(text, 11, 2, h) || !Digits(text, 14, 2, mi) || h > 23 || mi > 59) {
    return std::nullopt;
  }
  return MidnightOf(*day) + std::chrono::hours{h} + minutes{mi};
}

std::string FormatLocalMinute(LocalMinute t) {
  auto lt = ToDate(t);
  auto day = date::floor<date::days>(lt);
  date::year_month_day ymd{day};
  date::hh_mm_ss<minutes> hms{lt - day};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02ld:%02ld", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<long>(hms.hours().count()), static_cast<long>(hms.minutes().count()));
  return buf;
}

LocalMinute MidnightOf(LocalDate d) {
  date::local_days day{date::year{d.year} / date::month{d.month} / date::day{d.day}};
  return LocalMinute{day.time_since_epoch()};
}

LocalDate DateOf(LocalMinute t) {
  date::year_month_day ymd{date::floor<date::days>(ToDate(t))};
  return LocalDate{static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                   static_cast<unsigned>(ymd.day())};
}

Result<TimeZone> TimeZone::Load(std::string_view name) {
  try {
    const date::time_zone* zone = date::locate_zone(name);
    return TimeZone(std::string(name), zone);
  } catch (const std::exception&) {
    return Error{"unknown time zone '" + std::string(name) + "'"};
  }
}

SysMinutes TimeZone::ToSys(LocalMinute t) const {
  const auto lt = ToDate(t);
  const date::local_info info = Zone(zone_)->get_info(lt);
  switch (info.result) {
    case date::local_info::unique:
    case date::local_info::ambiguous:  // first.offset is the earlier instant
      return date::floor<minutes>(SysMinutes{lt.time_since_epoch()} - info.first.offset);
    case date::local_info::nonexistent:
    default:
      return date::floor<minutes>(info.first.end);
  }
}

LocalMinute TimeZone::ToLocal(SysMinutes t) const {
  return LocalMinute{t.time_since_epoch() + OffsetAt(t)};
}

minutes TimeZone::OffsetAt(SysMinutes t) const {
  return date::floor<minutes>(Zone(zone_)->get_info(t).offset);
}

}  // namespace dcp
