#include "cli/status_report.hpp"

#include <nlohmann/json.hpp>

namespace dcp::cli {
namespace {

std::string FormatTime(SysSeconds t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::int64_t Total(const RunSummary& r) {
  const auto& c = r.counts;
  return r.task_count.value_or(c.queued + c.started + c.finished + c.failed);
}

}  // namespace

std::string StatusText(const RunSummary& r) {
  const auto& c = r.counts;
  const std::int64_t total = Total(r);
  const std::int64_t done = c.finished + c.failed;
  constexpr int kWidth = 30;
  const int filled = total > 0 ? static_cast<int>(done * kWidth / total) : kWidth;
  std::string text =
      "run " + r.id.ToString() + " (" + r.trigger + ")  " + std::string(ToString(r.status)) + "\n";
  text += "  [" + std::string(static_cast<std::size_t>(filled), '#') +
          std::string(static_cast<std::size_t>(kWidth - filled), '.') + "] " +
          std::to_string(done) + "/" + std::to_string(total) + "\n";
  text += "  QUEUED " + std::to_string(c.queued) + "  STARTED " + std::to_string(c.started) +
          "  FINISHED " + std::to_string(c.finished) + "  FAILED " + std::to_string(c.failed) +
          "\n";
  if (r.stale > 0) {
    text += "  STALE " + std::to_string(r.stale) +
            ": STARTED by a worker that sent no heartbeat lately (it died or hangs); the "
            "broker redelivers them when its connection closes\n";
  }
  text += "  created " + FormatTime(r.created_at);
  if (r.finished_at) {
    text += "  finished " + FormatTime(*r.finished_at) + " (" +
            std::to_string((*r.finished_at - r.created_at).count()) + " s)";
  }
  return text + "\n";
}

std::string StatusJson(const RunSummary& r) {
  nlohmann::json j = {
      {"run_id", r.id.ToString()},
      {"trigger", r.trigger},
      {"status", ToString(r.status)},
      {"task_count", r.task_count ? nlohmann::json(*r.task_count) : nlohmann::json(nullptr)},
      {"published", r.published},
      {"stale", r.stale},
      {"counts",
       {{"QUEUED", r.counts.queued},
        {"STARTED", r.counts.started},
        {"FINISHED", r.counts.finished},
        {"FAILED", r.counts.failed}}},
      {"created_at", FormatTime(r.created_at)},
      {"finished_at",
       r.finished_at ? nlohmann::json(FormatTime(*r.finished_at)) : nlohmann::json(nullptr)}};
  return j.dump();
}

}  // namespace dcp::cli
