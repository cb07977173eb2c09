#include "views/run_progress.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace dcp::views {

RunProgress ProgressOf(const RunSummary& run, SysSeconds now) {
  const auto& c = run.counts;
  RunProgress p;
  p.done = c.finished + c.failed + c.cancelled;
  p.total = run.task_count.value_or(c.queued + c.started + p.done);
  const SysSeconds end = run.finished_at.value_or(now);
  p.elapsed_seconds = std::max<std::int64_t>(0, (end - run.created_at).count());
  p.under_a_second = run.finished_at.has_value() && p.elapsed_seconds == 0 && p.done > 0;
  if (p.elapsed_seconds > 0 || p.under_a_second) {
    p.rate = static_cast<double>(p.done) /
             static_cast<double>(std::max<std::int64_t>(1, p.elapsed_seconds));
  }
  if (!IsTerminal(run.status) && p.rate > 0 && p.total > p.done) {
    p.eta_seconds =
        static_cast<std::int64_t>(std::ceil(static_cast<double>(p.total - p.done) / p.rate));
  }
  return p;
}

std::string FormatUtc(SysSeconds t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string FormatDuration(std::int64_t seconds) {
  char buf[64];
  if (seconds < 60) {
    std::snprintf(buf, sizeof buf, "%lld s", static_cast<long long>(seconds));
  } else if (seconds < 3600) {
    std::snprintf(buf, sizeof buf, "%lld min %02lld s", static_cast<long long>(seconds / 60),
                  static_cast<long long>(seconds % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%lld h %02lld min", static_cast<long long>(seconds / 3600),
                  static_cast<long long>(seconds % 3600 / 60));
  }
  return buf;
}

}  // namespace dcp::views
