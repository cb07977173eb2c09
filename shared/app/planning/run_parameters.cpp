#include "planning/run_parameters.hpp"

#include "domain/run_range.hpp"

namespace dcp::planning {

Result<RunRequest> BuildRunRequest(const RunParameters& p, SysSeconds now, const TimeZone& tz) {
  RunRequest r;
  auto window = WindowSpec::Parse(p.window);
  if (!window) return Error{"window '" + p.window + "': " + window.reason()};
  r.window = *window;
  auto selections = ParseSelections(p.selections);
  if (!selections) return Error{selections.reason()};
  r.selections = std::move(selections).value();
  if (p.from.empty() != p.to.empty()) return Error{"from and to go together"};
  if (p.from.empty()) {
    std::tie(r.from, r.to) = RangeAt(RangeKind::kPreviousMonth, now, tz);
    return r;
  }
  const auto from = ParseLocalDate(p.from);
  if (!from) return Error{"from '" + p.from + "': expected YYYY-MM-DD"};
  const auto to = ParseLocalDate(p.to);
  if (!to) return Error{"to '" + p.to + "': expected YYYY-MM-DD"};
  if (*to < *from) return Error{"to " + p.to + " is before from " + p.from};
  r.from = *from;
  r.to = *to;
  return r;
}

void ApplyJobDefaults(const job::Job& job, GivenParameters given, SysSeconds now,
                      const TimeZone& tz, RunParameters& p) {
  if (!given.window) p.window = job.window;
  if (given.range || job.range.empty()) return;
  if (const auto dots = job.range.find(".."); dots != std::string::npos) {
    p.from = job.range.substr(0, dots);
    p.to = job.range.substr(dots + 2);
    return;
  }
  const auto [from, to] = RangeAt(ParseRangeKind(job.range).value(), now, tz);
  p.from = FormatLocalDate(from);
  p.to = FormatLocalDate(to);
}

}  // namespace dcp::planning
