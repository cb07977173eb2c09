#pragma once
// A job's export step: its command, run once per ended run (FINISHED or
// FAILED, never CANCELLED) by one process given the job (ExportClaims: a
// claim with a lease, as completion reports), with the run's tasks on stdin
// as JSON Lines in the workload's order (views::ExportLines). Its
// environment: DCP_RUN_ID, DCP_RUN_STATUS, DCP_EXPORT_ATTEMPT (1 on the
// first claim), DCP_JOB, DCP_WORK_DIR (a scratch directory, removed after),
// DCP_EXPORT_DIR (if the process has one), the base variables and the
// job's export.env. Its end (exit 0: FINISHED; else FAILED with the exit
// status and stderr tail) is recorded on the run.
//
// Once while processes live, at least once across crashes: a claimer that
// dies (or stops) mid-export leaves the claim to expire after the lease (the
// longest export timeout + kExportLeaseMargin) and the next claimer runs it
// again with the next attempt number, so the command must be idempotent
// (write to a temporary file, then rename).
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "job/job.hpp"
#include "ports/export_claims.hpp"
#include "ports/run_results.hpp"
#include "runtime/periodic.hpp"
#include "runtime/stopper.hpp"

namespace dcp::completion {

inline constexpr std::chrono::seconds kExportLeaseMargin{120};
inline constexpr std::chrono::seconds kDefaultExportTimeout{3600};

struct ExportSettings {
  std::string export_dir;  // DCP_EXPORT_DIR of the commands; empty: not set
  std::string work_dir;    // each export's scratch directory is made in it
};

// The jobs with an export command, as ExportClaims knows them.
std::vector<JobVersion> ExportingJobs(const std::vector<job::Job>& jobs);
// The claim's lease for `jobs`: their longest export timeout + the margin.
std::chrono::seconds ExportLease(const std::vector<job::Job>& jobs);

// Runs `job`'s export command for the claimed run. An Error says why it
// failed ("exit 1: <stderr tail>", "timed out after 60 s", ...).
Result<bool> RunExportCommand(const job::Job& job, RunResults& results, const ExportClaim& claim,
                              const ExportSettings& settings);

// Claims and runs the due exports of `jobs`, one at a time.
// Not thread-safe: one instance per thread, with that thread's ports.
class ExportRunner {
 public:
  ExportRunner(ExportClaims& claims, RunResults& results, std::vector<job::Job> jobs,
               ExportSettings settings, runtime::Stopper& stopper);

  // Every due export (only that run's with `only`), until none is left or
  // the stopper stops (an export cut short by a stop is left claimed, for
  // the lease to hand over). Returns the claims run; `failed` counts those
  // that failed. Throws DbError.
  int RunDue(const std::optional<RunId>& only = {}, int* failed = nullptr);

 private:
  ExportClaims& claims_;
  RunResults& results_;
  std::vector<job::Job> jobs_;
  ExportSettings settings_;
  runtime::Stopper& stopper_;
};

// An ExportRunner on a thread of its own, polling every `poll` (an export
// may run for long: it never holds the completion reports or the event
// loop). The factory makes the thread's store (claims and results) on it.
class ExportService {
 public:
  struct Parts {
    std::shared_ptr<void> keep;  // outlives the others (a database session...)
    std::shared_ptr<ExportClaims> claims;
    std::shared_ptr<RunResults> results;
  };
  using Factory = std::function<Parts()>;

  ExportService(Factory make_parts, std::vector<job::Job> jobs, ExportSettings settings,
                std::chrono::milliseconds poll);
  void Start() { periodic_.Start(); }
  // Ends the thread; an export in progress is killed (with every command of
  // the process: call it once the worker's own tasks are done) and left
  // claimed. Idempotent.
  void Stop();

 private:
  void Tick();

  Factory make_parts_;
  std::vector<job::Job> jobs_;
  ExportSettings settings_;
  Parts parts_;
  runtime::Stopper stopping_;   // set before the kill, so an export cut short is not recorded
  runtime::Periodic periodic_;  // last: stopped first
};

}  // namespace dcp::completion
