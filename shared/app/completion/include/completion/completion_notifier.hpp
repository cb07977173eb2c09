#pragma once
// Reports completed runs, each exactly once in normal operation: claims a
// run that has ended (CompletionClaims::ClaimCompletion: one conditional UPDATE, so
// of any number of processes polling at once exactly one wins), then
//   1. writes <export_dir>/<run_id>.csv (if an export dir is set and the
//      run's job has no export command of its own) with the code of `dcp
//      export`, through a temporary file and a rename;
//   2. publishes the `run.completed` event (must succeed: retried with
//      backoff; if it still fails the run is left claimed, and reported by
//      whoever claims it after the lease);
//   3. POSTs the event to the webhook (if any), retried with backoff up to
//      webhook_attempts times; a webhook that never answers 2xx is logged
//      and given up (it must not hold the other runs' reports);
//   4. records the report (CompletionClaims::CompletionReported).
// A process that dies between the claim and step 4 leaves the claim to
// expire: after `lease` another process reports the run again (at least
// once across crashes; the event carries run_id for de-duplication).
//
// Not thread-safe: one instance per thread, with that thread's ports.
#include <chrono>
#include <functional>
#include <string>

#include "ports/completion_claims.hpp"
#include "ports/notifications.hpp"
#include "ports/run_results.hpp"
#include "runtime/stopper.hpp"
#include "views/export_csv.hpp"

namespace dcp::completion {

inline constexpr const char* kRunCompletedKey = "run.completed";

struct NotifierSettings {
  // Longer than a report can take (webhook retries included), so that a
  // live claimer is never overtaken.
  std::chrono::seconds lease{600};
  std::string export_dir;         // empty: no export
  views::CsvHeaders csv_headers;  // of the export
  int event_attempts = 5;
  int webhook_attempts = 5;
  // Delay before the second attempt; doubles per attempt up to max_delay.
  std::chrono::milliseconds first_delay{1000};
  std::chrono::milliseconds max_delay{std::chrono::seconds(30)};
};

// The event: the run as `dcp status --json` shows it (view_json.hpp), plus
// "event": "run.completed" and "csv": the export's path or null.
std::string RunCompletedEvent(const RunSummary& run, SysSeconds now, const std::string& csv_path);

class CompletionNotifier {
 public:
  // `results` is read for the export. `webhook` may be null (no webhook).
  // Waits end early when `stopper` stops: the run being reported is then
  // left claimed (see above).
  CompletionNotifier(CompletionClaims& claims, RunResults& results, EventPublisher& events,
                     WebhookPoster* webhook, NotifierSettings settings, runtime::Stopper& stopper);

  // Claims and reports every run due now. Returns how many it reported.
  // Throws DbError (the database is unreachable): the caller retries later.
  int ReportDue();

 private:
  bool Report(const RunSummary& run);    // false: not reported (stopped, event failed)
  std::string Export(const RunId& run);  // the path written, "" if none
  bool Retry(int attempts, const std::function<bool(int attempt)>& body);

  CompletionClaims& claims_;
  RunResults& results_;
  EventPublisher& events_;
  WebhookPoster* webhook_;
  NotifierSettings settings_;
  runtime::Stopper& stopper_;
};

}  // namespace dcp::completion
