#pragma once
// Retention: the runs that ended long ago, and everything they hold (tasks,
// results, contexts, job file), removed in small batches. One process
// purges at a time (a claim, as completion is). Not thread-safe: one
// instance per thread. Throws DbError on failure.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "domain/ids.hpp"

namespace dcp {

// A run whose last activity is older than the age asked for. Only ended
// runs (FINISHED, FAILED, CANCELLED) and runs of other producers
// ('external', which never end) are ever expired: an active run of dcp is
// not, however old.
struct ExpiredRun {
  RunId run;
  std::string job;
  std::string status;       // as the run table holds it
  std::string last_active;  // UTC, "YYYY-MM-DD HH:MM:SS"
};

// What one DeleteBatch did.
struct PurgeBatch {
  std::size_t rows = 0;   // rows deleted, 0 when the run had none left
  bool run_gone = false;  // the run's own row was deleted: it is purged
  bool kept = false;      // no longer expired (new activity): nothing deleted, left alone
};

class RetentionStore {
 public:
  virtual ~RetentionStore() = default;

  // Claims the purge for this process (a lease renewed in the background).
  // False: another process holds it.
  virtual bool ClaimPurge() = 0;
  // True while the claim holds; false once its lease was lost. Asked before
  // each batch.
  virtual bool PurgeClaimHeld() = 0;
  virtual void ReleasePurge() = 0;

  // The runs expired for `age` (on the database's clock), oldest first, at
  // most `limit`.
  virtual std::vector<ExpiredRun> ExpiredRuns(std::chrono::seconds age, std::size_t limit) = 0;
  // The rows `run` holds in every table, its own row included (--dry-run).
  virtual std::uint64_t CountRows(const RunId& run) = 0;
  // Deletes at most `batch` rows of `run`, one table at a time, the run's
  // own row last, in one short transaction that first checks the run is
  // still expired for `age`.
  virtual PurgeBatch DeleteBatch(const RunId& run, std::chrono::seconds age, std::size_t batch) = 0;
  // Deletes at most `batch` task rows of no run (a malformed message's,
  // kept FAILED) that ended longer than `age` ago; the rows deleted.
  virtual std::size_t DeleteOrphans(std::chrono::seconds age, std::size_t batch) = 0;
  virtual std::uint64_t CountOrphans(std::chrono::seconds age) = 0;  // --dry-run
};

}  // namespace dcp
