#pragma once
// The operator's commands on a run (dcp cancel / retry, the monitor's
// POST /api/...).
// Not thread-safe: one instance per thread. Throws DbError on failure.
#include <cstdint>
#include <span>
#include <vector>

#include "domain/ids.hpp"
#include "ports/run_planning_store.hpp"

namespace dcp {

struct CancelResult {
  enum class Status { kCancelled, kAlreadyEnded, kNotFound };
  Status status = Status::kCancelled;
  std::int64_t tasks_cancelled = 0;  // QUEUED tasks now CANCELLED
};

class RunOperations {
 public:
  virtual ~RunOperations() = default;

  // Operator cancel, one transaction: a run not yet ended becomes CANCELLED
  // (terminal, with its end time) and its QUEUED tasks CANCELLED, counted
  // in the run. STARTED tasks finish or fail as usual and are counted, but
  // the run stays CANCELLED; workers ack and skip messages of CANCELLED
  // tasks (StartOutcome::kCancelled).
  virtual CancelResult CancelRun(const RunId& run) = 0;

  // Operator retry: every FAILED task the leader planned (seq recorded) goes
  // back to QUEUED with attempt 0; the run goes back to PUBLISHING with its
  // watermark before the first of them, so that UnpublishedTasks lists them
  // (and a retry cut short is finished by the next leader). One transaction.
  // A CANCELLED run stays as it is. Returns those tasks.
  virtual std::vector<PlannedTask> RequeueFailed(const RunId& run) = 0;
  // Deletes at most `limit` rows of workers last seen (a stopped one: its
  // last beat) longer than `older_than` ago (autoscaled pods leave one row each);
  // returns how many.
  virtual std::int64_t PruneWorkers(std::chrono::seconds older_than, std::size_t limit) = 0;

  // RequeueFailed restricted to `tasks` (ids of other runs, or of tasks not
  // FAILED, are ignored): `dcp dead replay` requeues the tasks whose dead
  // letters it holds, no others. Same transaction, same counters, same
  // reopening of the run; nothing happens when none of them moves.
  virtual std::vector<PlannedTask> RequeueFailedTasks(const RunId& run,
                                                      std::span<const TaskId> tasks) = 0;
};

}  // namespace dcp
