#include "domain/cron_schedule.hpp"

#include <date/date.h>

#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <string>
#include <vector>

namespace dcp {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

// Enough to reach the next Feb 29 from anywhere, even across 2100.
constexpr int kHorizonDays = 8 * 366;

constexpr std::array<std::string_view, 12> kMonthNames = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 7> kDayNames = {"SUN", "MON", "TUE", "WED",
                                                       "THU", "FRI", "SAT"};

struct FieldSpec {
  std::string_view name;
  int min;
  int max;
  const std::string_view* names;  // names[i] means min + i; nullptr if none
  std::size_t name_count;
};

constexpr FieldSpec kMinuteField{"minute", 0, 59, nullptr, 0};
constexpr FieldSpec kHourField{"hour", 0, 23, nullptr, 0};
constexpr FieldSpec kDomField{"day-of-month", 1, 31, nullptr, 0};
constexpr FieldSpec kMonthField{"month", 1, 12, kMonthNames.data(), kMonthNames.size()};
constexpr FieldSpec kDowField{"day-of-week", 0, 7, kDayNames.data(), kDayNames.size()};

// A field's matching values, bit v set when value v matches.
using Bits = std::uint64_t;

Error FieldError(const FieldSpec& field, std::string_view problem, std::string_view text) {
  return Error{"cron field " + std::string(field.name) + ": " + std::string(problem) + " '" +
               std::string(text) + "'"};
}

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t begin = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == separator) {
      parts.push_back(text.substr(begin, i - begin));
      begin = i + 1;
    }
  }
  return parts;
}

std::string Upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::optional<int> ParseNumber(std::string_view text) {
  int n = 0;
  if (text.empty() || text.size() > 3) return std::nullopt;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return n;
}

// A single value: a number in range or, where the field has them, a name.
Result<int> ParseValue(const FieldSpec& field, std::string_view text) {
  if (auto n = ParseNumber(text)) {
    if (*n < field.min || *n > field.max) {
      return FieldError(
          field,
          "out of range " + std::to_string(field.min) + "-" + std::to_string(field.max) + ":",
          text);
    }
    return *n;
  }
  const std::string upper = Upper(text);
  for (std::size_t i = 0; i < field.name_count; ++i) {
    if (field.names[i] == upper) return field.min + static_cast<int>(i);
  }
  return FieldError(field, "bad value", text);
}

// One list item: "*", "v", "a-b", each optionally followed by "/step".
Result<Bits> ParseItem(const FieldSpec& field, std::string_view item) {
  const auto parts = Split(item, '/');
  if (parts.size() > 2) return FieldError(field, "bad step in", item);
  const std::string_view base = parts[0];
  int low = field.min;
  int high = field.max;
  if (base != "*") {
    const auto range = Split(base, '-');
    if (range.size() > 2) return FieldError(field, "bad range", base);
    auto first = ParseValue(field, range[0]);
    if (!first) return Error{first.reason()};
    low = *first;
    high = parts.size() == 2 ? field.max : low;
    if (range.size() == 2) {
      auto last = ParseValue(field, range[1]);
      if (!last) return Error{last.reason()};
      high = *last;
      if (high < low) return FieldError(field, "range runs backwards", base);
    }
  }
  int step = 1;
  if (parts.size() == 2) {
    const auto n = ParseNumber(parts[1]);
    if (!n || *n < 1) return FieldError(field, "step must be a positive number in", item);
    step = *n;
  }
  Bits bits = 0;
  for (int v = low; v <= high; v += step) bits |= Bits{1} << v;
  return bits;
}

Result<Bits> ParseField(const FieldSpec& field, std::string_view text) {
  Bits bits = 0;
  for (const std::string_view item : Split(text, ',')) {
    if (item.empty()) return FieldError(field, "empty list item in", text);
    auto item_bits = ParseItem(field, item);
    if (!item_bits) return Error{item_bits.reason()};
    bits |= *item_bits;
  }
  return bits;
}

template <std::size_t N>
std::bitset<N> ToBitset(Bits bits) {
  std::bitset<N> out;
  for (std::size_t i = 0; i < N; ++i) out[i] = ((bits >> i) & 1U) != 0;
  return out;
}

std::optional<std::string_view> ExpandMacro(std::string_view name) {
  const std::string upper = Upper(name);
  if (upper == "@YEARLY" || upper == "@ANNUALLY") return "0 0 1 1 *";
  if (upper == "@MONTHLY") return "0 0 1 * *";
  if (upper == "@WEEKLY") return "0 0 * * 0";
  if (upper == "@DAILY" || upper == "@MIDNIGHT") return "0 0 * * *";
  if (upper == "@HOURLY") return "0 * * * *";
  return std::nullopt;
}

std::vector<std::string_view> SplitWhitespace(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    const std::size_t begin = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i > begin) words.push_back(text.substr(begin, i - begin));
  }
  return words;
}

date::local_days DayOf(LocalMinute t) {
  return date::floor<date::days>(date::local_time<minutes>{t.since_epoch});
}

LocalMinute MidnightOfDay(date::local_days day) {
  return LocalMinute{std::chrono::duration_cast<minutes>(day.time_since_epoch())};
}

}  // namespace

Result<CronSchedule> CronSchedule::Parse(std::string_view expr) {
  std::vector<std::string_view> fields = SplitWhitespace(expr);
  if (fields.size() == 1 && fields[0].front() == '@') {
    const auto expanded = ExpandMacro(fields[0]);
    if (!expanded) return Error{"cron: unknown macro '" + std::string(fields[0]) + "'"};
    fields = SplitWhitespace(*expanded);
  }
  if (fields.size() != 5) {
    return Error{"cron: expected 5 fields (min hour dom month dow), got " +
                 std::to_string(fields.size())};
  }
  const std::array<const FieldSpec*, 5> specs = {&kMinuteField, &kHourField, &kDomField,
                                                 &kMonthField, &kDowField};
  std::array<Bits, 5> bits{};
  for (std::size_t i = 0; i < specs.size(); ++i) {
    auto parsed = ParseField(*specs[i], fields[i]);
    if (!parsed) return Error{parsed.reason()};
    bits[i] = *parsed;
  }
  constexpr Bits kSunday7 = Bits{1} << 7;
  if ((bits[4] & kSunday7) != 0) bits[4] = (bits[4] & ~kSunday7) | Bits{1};

  CronSchedule schedule;
  schedule.minutes_ = ToBitset<60>(bits[0]);
  schedule.hours_ = ToBitset<24>(bits[1]);
  schedule.days_of_month_ = ToBitset<32>(bits[2]);
  schedule.months_ = ToBitset<13>(bits[3]);
  schedule.days_of_week_ = ToBitset<7>(bits[4]);
  schedule.dom_restricted_ = fields[2].front() != '*';
  schedule.dow_restricted_ = fields[4].front() != '*';
  return schedule;
}

bool CronSchedule::DayMatches(LocalMinute midnight) const {
  const date::local_days day = DayOf(midnight);
  const date::year_month_day ymd{day};
  if (!months_[static_cast<unsigned>(ymd.month())]) return false;
  const bool dom = days_of_month_[static_cast<unsigned>(ymd.day())];
  const bool dow = days_of_week_[date::weekday{day}.c_encoding()];
  if (dom_restricted_ && dow_restricted_) return dom || dow;
  return dom && dow;
}

bool CronSchedule::Matches(LocalMinute t) const {
  const date::local_days day = DayOf(t);
  const auto into_day = (t.since_epoch - MidnightOfDay(day).since_epoch).count();
  return DayMatches(MidnightOfDay(day)) && hours_[static_cast<std::size_t>(into_day / 60)] &&
         minutes_[static_cast<std::size_t>(into_day % 60)];
}

std::optional<SysMinutes> CronSchedule::Next(SysSeconds after, const TimeZone& tz) const {
  // With ambiguous times mapped to their earliest instant, ToSys is strictly
  // increasing over existing local minutes, so the first match at or after
  // the local time of `after` that exists and lies after `after` is the next.
  const LocalMinute first = tz.ToLocal(std::chrono::floor<minutes>(after));
  const date::local_days first_day = DayOf(first);
  for (int i = 0; i <= kHorizonDays; ++i) {
    const date::local_days day = first_day + date::days{i};
    if (!DayMatches(MidnightOfDay(day))) continue;
    for (std::size_t h = 0; h < hours_.size(); ++h) {
      if (!hours_[h]) continue;
      const LocalMinute hour_start = MidnightOfDay(day) + hours{h};
      if (hour_start + minutes{59} < first) continue;
      for (std::size_t m = 0; m < minutes_.size(); ++m) {
        if (!minutes_[m]) continue;
        const LocalMinute t = hour_start + minutes{m};
        if (t < first) continue;
        const SysMinutes sys = tz.ToSys(t);
        if (sys > after && tz.ToLocal(sys) == t) return sys;
      }
    }
  }
  return std::nullopt;
}

}  // namespace dcp
