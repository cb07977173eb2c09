// Fuzz target for cron expressions (domain/cron_schedule.hpp). Properties,
// on any input:
//  - CronSchedule::Parse returns (no crash, leak or UB);
//  - for a parsed schedule, in UTC, Europe/Amsterdam and America/New_York
//    and from fixed instants around DST changes, Next(t) is nullopt or a
//    time after t whose local minute Matches() and exists; Next of that is
//    later again; and no minute in between (within a bounded scan) should
//    have fired instead.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/cron_schedule.hpp"

namespace {

using std::chrono::minutes;
using std::chrono::seconds;

// How far after `t` to look for a firing that Next(t) skipped. Bounded to
// keep executions fast; the instants sit just before DST changes.
constexpr minutes kScan{180};

std::string_view g_expr;  // the input, for the report

// Reports a broken property as a crash, which libFuzzer saves.
void Require(bool holds, const char* property, const dcp::TimeZone& tz, dcp::SysSeconds after) {
  if (holds) return;
  const dcp::SysMinutes minute = std::chrono::floor<minutes>(after);
  const std::string utc = dcp::FormatLocalMinute(dcp::LocalMinute{minute.time_since_epoch()});
  std::fprintf(stderr, "property violated: %s\nexpr '%.*s', zone %s, after %s:%02lld UTC\n",
               property, static_cast<int>(g_expr.size()), g_expr.data(), tz.name().c_str(),
               utc.c_str(), static_cast<long long>((after - minute).count()));
  std::abort();
}

// A UTC instant "YYYY-MM-DD HH:MM" plus some seconds.
dcp::SysSeconds Utc(std::string_view minute, seconds extra = seconds{0}) {
  return dcp::SysSeconds{dcp::ParseLocalMinute(minute).value().since_epoch} + extra;
}

const std::vector<dcp::TimeZone>& Zones() {
  static const std::vector<dcp::TimeZone> zones = [] {
    std::vector<dcp::TimeZone> out;
    for (const char* name : {"UTC", "Europe/Amsterdam", "America/New_York"}) {
      auto zone = dcp::TimeZone::Load(name);
      if (!zone) {
        std::fprintf(stderr, "%s\n", zone.reason().c_str());
        std::abort();
      }
      out.push_back(*zone);
    }
    return out;
  }();
  return zones;
}

const std::vector<dcp::SysSeconds>& Instants() {
  static const std::vector<dcp::SysSeconds> instants = {
      Utc("2024-01-15 12:00"),
      Utc("1969-12-31 23:30", seconds{59}),  // before the epoch
      // New York springs forward at 07:00 UTC, Amsterdam at 01:00 UTC.
      Utc("2024-03-10 06:59", seconds{30}),
      Utc("2024-03-31 00:59", seconds{30}),
      // The repeated hour: Amsterdam 02:00-03:00 from 00:00 UTC, again
      // from 01:00 UTC; New York 01:00-02:00 from 05:00 UTC, again from
      // 06:00 UTC. Once in each pass.
      Utc("2024-10-27 00:29", seconds{1}),
      Utc("2024-10-27 01:29", seconds{1}),
      Utc("2024-11-03 05:29", seconds{1}),
      Utc("2024-11-03 06:29", seconds{1}),
      // Across 2100, which has no Feb 29.
      Utc("2099-12-31 23:59", seconds{59}),
  };
  return instants;
}

// Whether the schedule should fire at instant s: its local minute matches
// and s is that minute's first occurrence (a repeated minute fires once).
bool FiresAt(const dcp::CronSchedule& cron, const dcp::TimeZone& tz, dcp::SysMinutes s) {
  const dcp::LocalMinute local = tz.ToLocal(s);
  return cron.Matches(local) && tz.ToSys(local) == s;
}

void CheckNext(const dcp::CronSchedule& cron, const dcp::TimeZone& tz, dcp::SysSeconds after) {
  const std::optional<dcp::SysMinutes> next = cron.Next(after, tz);
  const dcp::SysMinutes scan_end = std::chrono::floor<minutes>(after) + kScan;
  for (dcp::SysMinutes s = std::chrono::floor<minutes>(after) + minutes{1};
       s <= scan_end && (!next || s < *next); s += minutes{1}) {
    Require(!FiresAt(cron, tz, s), "Next(t) is the first firing after t", tz, after);
  }
  if (!next) return;
  Require(*next > after, "Next(t) > t", tz, after);
  Require(FiresAt(cron, tz, *next), "Next(t) is a first occurrence of a matching minute", tz,
          after);

  const std::optional<dcp::SysMinutes> following = cron.Next(*next, tz);
  if (!following) return;
  Require(*following > *next, "Next(Next(t)) > Next(t)", tz, after);
  Require(FiresAt(cron, tz, *following), "Next(Next(t)) matches", tz, after);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  g_expr = std::string_view(reinterpret_cast<const char*>(data), size);
  const auto cron = dcp::CronSchedule::Parse(g_expr);
  if (!cron) return 0;
  for (const dcp::TimeZone& tz : Zones()) {
    for (const dcp::SysSeconds after : Instants()) CheckNext(*cron, tz, after);
  }
  return 0;
}
