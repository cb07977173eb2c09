#include "retention/purge.hpp"

#include <charconv>
#include <string>
#include <thread>

namespace dcp::retention {
namespace {

using Clock = std::chrono::steady_clock;

// Runs listed per pass. Each pass asks the store again, so a run that
// became active meanwhile is not listed any more.
constexpr std::size_t kRunsPerPass = 100;
constexpr std::size_t kDryRunListed = 1000000;

PurgeReport DryRun(RetentionStore& store, const PurgeOptions& options) {
  PurgeReport report;
  report.runs = store.ExpiredRuns(options.older_than, kDryRunListed);
  for (const ExpiredRun& run : report.runs) report.rows += store.CountRows(run.run);
  report.orphans = store.CountOrphans(options.older_than);
  report.rows += report.orphans;
  return report;
}

}  // namespace

PurgeReport Purge(RetentionStore& store, const PurgeOptions& options, const Pause& pause) {
  if (options.dry_run) return DryRun(store, options);
  PurgeReport report;
  if (!store.ClaimPurge()) {
    report.status = PurgeReport::Status::kLocked;
    return report;
  }
  struct Release {
    RetentionStore& store;
    ~Release() { store.ReleasePurge(); }
  } release{store};
  const auto started = Clock::now();
  const auto out_of_time = [&] {
    return (options.stop != nullptr && options.stop->load()) ||
           (options.budget && Clock::now() - started >= *options.budget);
  };
  const auto wait = [&] {
    if (options.pause.count() <= 0) return;
    if (pause) {
      pause(options.pause);
    } else {
      std::this_thread::sleep_for(options.pause);
    }
  };
  // Before each batch: the claim still ours, time left.
  const auto must_stop = [&] {
    if (!store.PurgeClaimHeld()) {
      report.status = PurgeReport::Status::kLockLost;
    } else if (out_of_time()) {
      report.status = PurgeReport::Status::kDeadline;
    }
    return report.status != PurgeReport::Status::kDone;
  };
  for (bool runs_left = true; runs_left;) {
    const std::vector<ExpiredRun> runs = store.ExpiredRuns(options.older_than, kRunsPerPass);
    bool purged_any = false;
    for (const ExpiredRun& run : runs) {
      for (;;) {
        if (must_stop()) return report;
        const PurgeBatch batch = store.DeleteBatch(run.run, options.older_than, options.batch);
        report.rows += batch.rows;
        if (batch.kept) {
          ++report.kept;
          break;
        }
        if (batch.run_gone) {
          report.runs.push_back(run);
          purged_any = true;
          break;
        }
        wait();
      }
    }
    // Every run of the pass was purged or kept. A kept run is not expired
    // any more, so the next pass does not list it; should the store list it
    // still, a pass that purged nothing ends the runs' part instead of looping.
    runs_left = purged_any;
  }
  for (;;) {
    if (must_stop()) return report;
    const std::size_t rows = store.DeleteOrphans(options.older_than, options.batch);
    if (rows == 0) return report;
    report.orphans += rows;
    report.rows += rows;
    wait();
  }
}

Result<std::chrono::seconds> ParseAge(std::string_view text) {
  const auto bad = [&] {
    return Error{"'" + std::string(text) + "': an age is a whole number and d, h, m or s (90d)"};
  };
  if (text.size() < 2) return bad();
  long long n = 0;
  const auto* end = text.data() + text.size() - 1;
  const auto [ptr, ec] = std::from_chars(text.data(), end, n);
  if (ec != std::errc() || ptr != end || n <= 0) return bad();
  long long unit = 0;
  switch (text.back()) {
    case 'd':
      unit = 86400;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'm':
      unit = 60;
      break;
    case 's':
      unit = 1;
      break;
    default:
      return bad();
  }
  constexpr long long kTenYears = 3650LL * 86400;
  if (n > kTenYears / unit) return Error{"'" + std::string(text) + "': at most 3650d"};
  return std::chrono::seconds(n * unit);
}

}  // namespace dcp::retention
