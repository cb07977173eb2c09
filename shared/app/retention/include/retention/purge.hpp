#pragma once
// dcp purge and the leader's DCP_RETENTION_DAYS: the expired runs of a
// RetentionStore removed batch by batch, with a pause between batches so
// that a run in flight keeps its speed, the claim asked for before each.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "domain/result.hpp"
#include "ports/retention_store.hpp"

namespace dcp::retention {

struct PurgeOptions {
  std::chrono::seconds older_than{std::chrono::hours(24 * 90)};
  bool dry_run = false;      // list the runs and count their rows; delete nothing, claim nothing
  std::size_t batch = 1000;  // rows per DELETE
  std::chrono::milliseconds pause{20};  // between two batches
  // Stop (status kDeadline) once this much time has passed; the rest is
  // purged next time. None: until nothing is expired.
  std::optional<std::chrono::milliseconds> budget;
  // Set by another thread: stop before the next batch (status kDeadline).
  const std::atomic<bool>* stop = nullptr;
};

struct PurgeReport {
  enum class Status {
    kDone,      // nothing expired is left (dry run: listed)
    kDeadline,  // the budget ran out, or `stop` was set, first
    kLocked,    // another process is purging: nothing done
    kLockLost,  // the claim was lost: stopped before the next batch
  };
  Status status = Status::kDone;
  std::vector<ExpiredRun> runs;  // purged (dry run: would be), in order
  std::uint64_t rows = 0;        // deleted (dry run: would be)
  std::size_t kept = 0;          // found expired, then active again: left alone
  std::uint64_t orphans = 0;     // of the rows: task rows of no run (malformed messages)
};

// Sleeps between batches; a test passes one that records instead.
using Pause = std::function<void(std::chrono::milliseconds)>;

PurgeReport Purge(RetentionStore& store, const PurgeOptions& options, const Pause& pause = {});

// "90d", "12h", "30m", "45s": a positive whole number and its unit.
Result<std::chrono::seconds> ParseAge(std::string_view text);

}  // namespace dcp::retention
