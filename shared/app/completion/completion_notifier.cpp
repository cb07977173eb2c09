#include "completion/completion_notifier.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <fstream>

#include "runtime/retry.hpp"
#include "views/export_csv.hpp"
#include "views/view_json.hpp"

namespace dcp::completion {
namespace {

SysSeconds Now() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

}  // namespace

std::string RunCompletedEvent(const RunSummary& run, SysSeconds now, const std::string& csv_path) {
  nlohmann::json j = views::RunJson(run, now);
  j["event"] = kRunCompletedKey;
  j["csv"] = csv_path.empty() ? nlohmann::json(nullptr) : nlohmann::json(csv_path);
  return j.dump();
}

CompletionNotifier::CompletionNotifier(CompletionClaims& claims, RunResults& results,
                                       EventPublisher& events, WebhookPoster* webhook,
                                       NotifierSettings settings, runtime::Stopper& stopper)
    : claims_(claims),
      results_(results),
      events_(events),
      webhook_(webhook),
      settings_(std::move(settings)),
      stopper_(stopper) {}

int CompletionNotifier::ReportDue() {
  int reported = 0;
  while (!stopper_.stopped()) {
    const auto run = claims_.ClaimCompletion(settings_.lease);
    if (!run) break;
    if (!Report(*run)) break;  // left claimed: retried after the lease
    claims_.CompletionReported(run->id);
    ++reported;
  }
  return reported;
}

bool CompletionNotifier::Report(const RunSummary& run) {
  const std::string id = run.id.ToString();
  std::string csv;
  try {
    // A job with an export command exports its runs itself (export_step.hpp).
    if (!run.export_state) csv = Export(run.id);
  } catch (const std::exception& e) {
    spdlog::error("run {}: export failed: {}", id, e.what());
  }
  const std::string event = RunCompletedEvent(run, Now(), csv);
  const bool published = Retry(settings_.event_attempts, [&](int attempt) {
    try {
      events_.Publish(kRunCompletedKey, event);
      return true;
    } catch (const std::exception& e) {
      spdlog::warn("run {}: run.completed event not published (attempt {}): {}", id, attempt,
                   e.what());
      return false;
    }
  });
  if (!published) return false;
  if (webhook_ != nullptr) {
    const bool posted = Retry(settings_.webhook_attempts, [&](int attempt) {
      const WebhookResponse response = webhook_->Post(event);
      if (response.ok()) return true;
      std::string why = response.error;
      if (response.status != 0) {
        why = "HTTP " + std::to_string(response.status) + (why.empty() ? "" : " (" + why + ")");
      }
      spdlog::warn("run {}: webhook failed (attempt {}): {}", id, attempt, why);
      return false;
    });
    if (!posted && stopper_.stopped()) return false;
    if (!posted)
      spdlog::error("run {}: webhook gave up after {} attempts", id, settings_.webhook_attempts);
  }
  spdlog::info("run {} {}: completion reported", id, ToString(run.status));
  return true;
}

std::string CompletionNotifier::Export(const RunId& run) {
  if (settings_.export_dir.empty()) return {};
  std::string path = settings_.export_dir + "/" + run.ToString() + ".csv";
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + temporary);
    views::ExportCsv(results_, run, settings_.csv_headers, out);
    out.flush();
    if (!out) throw std::runtime_error("writing " + temporary + " failed");
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    throw std::runtime_error("cannot rename " + temporary + " to " + path);
  }
  return path;
}

bool CompletionNotifier::Retry(int attempts, const std::function<bool(int)>& body) {
  runtime::BackoffPolicy policy{settings_.first_delay, settings_.max_delay};
  policy.max_attempts = attempts;
  runtime::Retry retry(policy, stopper_);
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    if (body(attempt)) return true;
    if (retry.AfterFailure() != runtime::Retry::Verdict::kTryAgain) return false;
  }
  return false;
}

}  // namespace dcp::completion
