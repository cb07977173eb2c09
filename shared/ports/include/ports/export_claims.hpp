#pragma once
// The export step of a job's runs: each ended run's export command is run by
// one process given that job (a claim, as completion reports are), again
// after the lease if its claimer died, and again on an operator's request.
// Not thread-safe: one instance per thread. Throws DbError on failure.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "domain/ids.hpp"
#include "domain/task_status.hpp"

namespace dcp {

// A job as a process was given it: its runs are those of that name planned
// with that version of the file (a run is pinned to its job).
struct JobVersion {
  std::string name;
  std::string sha256;
};

struct ExportClaim {
  RunId run;
  std::string job;  // the run's job
  int attempt = 1;  // 1 for the first claim (DCP_EXPORT_ATTEMPT)
  RunStatus run_status = RunStatus::kFinished;
};

enum class ExportRequest { kRequested, kNotFound, kNoExport, kNotEnded, kCancelled, kRunning };

class ExportClaims {
 public:
  virtual ~ExportClaims() = default;

  // Claims the oldest run of one of `jobs` (name and version) that ended FINISHED or FAILED and
  // whose export is PENDING, or RUNNING under a claim older than `lease`
  // (its claimer died): one conditional UPDATE, so of any number of
  // claimers exactly one wins. The export becomes RUNNING, its attempt + 1.
  // `only`: that run's export, if it is due. Without `only`, a `local` run
  // (dcp-leader run --local) is never claimed: its own process exports it
  // (to its --export-dir), and `dcp export --rerun` if that process died.
  virtual std::optional<ExportClaim> ClaimExport(const std::vector<JobVersion>& jobs,
                                                 std::chrono::seconds lease,
                                                 const std::optional<RunId>& only = {}) = 0;
  // The end of the claimed attempt: FINISHED, or FAILED with `error`.
  // Ignored if the export was claimed again since (a newer attempt owns it).
  virtual void ExportEnded(const ExportClaim& claim, bool ok, const std::string& error) = 0;
  // An operator's rerun: the export of an ended run becomes PENDING again
  // (not while it is RUNNING: a claimer that died hands it over after the
  // lease; not for a cancelled run).
  virtual ExportRequest RequestExport(const RunId& run) = 0;
};

}  // namespace dcp
