#include "views/status_report.hpp"

#include <cstdio>

#include "views/run_progress.hpp"
#include "views/view_json.hpp"

namespace dcp::views {

std::string StatusText(const RunSummary& r, SysSeconds now) {
  const auto& c = r.counts;
  const RunProgress p = ProgressOf(r, now);
  constexpr int kWidth = 30;
  const int filled =
      p.total > 0 ? static_cast<int>(std::min(p.done, p.total) * kWidth / p.total) : kWidth;
  std::string text = "run " + r.id.ToString() + " (" + r.trigger +
                     (r.job == "reference" ? "" : ", job " + r.job) + ")  " +
                     std::string(ToString(r.status)) + "\n";
  if (!r.error.empty()) text += "  error: " + r.error + "\n";
  char rate[64];
  std::snprintf(rate, sizeof rate, "%s%.2f tasks/s", p.under_a_second ? ">= " : "", p.rate);
  text += "  [" + std::string(static_cast<std::size_t>(filled), '#') +
          std::string(static_cast<std::size_t>(kWidth - filled), '.') + "] " +
          std::to_string(p.done) + "/" + std::to_string(p.total) + "  " + rate;
  if (p.eta_seconds) text += "  ETA " + FormatDuration(*p.eta_seconds);
  text += "\n";
  text += "  QUEUED " + std::to_string(c.queued) + "  STARTED " + std::to_string(c.started) +
          "  FINISHED " + std::to_string(c.finished) + "  FAILED " + std::to_string(c.failed);
  if (c.cancelled > 0) text += "  CANCELLED " + std::to_string(c.cancelled);
  text += "\n";
  if (r.stale > 0) {
    text += "  STALE " + std::to_string(r.stale) +
            ": STARTED by a worker that sent no heartbeat lately (it died or hangs); the "
            "broker redelivers them when its connection closes\n";
  }
  text += "  created " + FormatUtc(r.created_at);
  if (r.finished_at) {
    text += "  finished " + FormatUtc(*r.finished_at) + " (" +
            (p.under_a_second ? std::string("under 1 s") : FormatDuration(p.elapsed_seconds)) + ")";
  } else {
    text += "  running for " + FormatDuration(p.elapsed_seconds);
  }
  text += "\n";
  if (const auto& e = r.export_state) {
    text += "  export " + std::string(ToString(e->status));
    if (r.status == RunStatus::kCancelled) {
      text += " (not run: the run was cancelled)";
    } else if (e->attempt > 0) {
      text += " (attempt " + std::to_string(e->attempt) +
              (e->finished_at ? ", " + FormatUtc(*e->finished_at) : std::string()) + ")";
    }
    if (!e->error.empty()) text += ": " + e->error + "\n    dcp export --rerun " + r.id.ToString();
    text += "\n";
  }
  return text;
}

std::string StatusJson(const RunSummary& r, SysSeconds now) { return RunJson(r, now).dump(); }

}  // namespace dcp::views
