#pragma once
// The leader's planning side of the database: the run lock, creating a run
// with its tasks, and the publishing watermark (planning::Leader,
// planning::RunPublisher, --local).
// Not thread-safe: one instance per thread. Throws DbError on failure.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "domain/ids.hpp"
#include "domain/local_time.hpp"
#include "ports/run_context.hpp"

namespace dcp {

struct NewRun {
  RunId id;
  std::string trigger;      // "manual", "cron", "local"
  std::string params_json;  // the run's parameters, for the record
  // Time zone, topology and job (name, sha256), for the workers.
  RunContext context;
  std::string job_text{};  // the job file the run was planned with, as given
  // The number of selections planned: the results are read back in the
  // workload's order (a task's selection is at (seq - 1) % selection_count).
  std::int64_t selection_count = 0;
  bool has_export = false;  // the job has an export command: the run's export is PENDING
};

struct PlannedTask {
  TaskId id;
  std::int64_t seq = 0;  // 1..N, publication order
  std::string selection;
  LocalMinute start;
  LocalMinute end;       // inclusive
  std::string params{};  // the selection's params, a JSON object; empty: none
};

// A run's tasks in seq order, handed over batch by batch so that a big run
// need not be held in memory as PlannedTask records: an implementation may
// build each batch when asked (planning::TaskPlan) or hold the tasks
// (TaskSpan). Re-iterable: every pass yields the same tasks.
class TaskBatches {
 public:
  using BatchVisitor = std::function<void(std::span<const PlannedTask>)>;
  virtual ~TaskBatches() = default;
  virtual std::size_t size() const = 0;
  // Calls `batch` with consecutive batches of 1..max tasks (max > 0) that
  // together are every task, in seq order. A span is valid during its call
  // only. Exceptions from `batch` end the pass and propagate.
  virtual void ForEachBatch(std::size_t max, const BatchVisitor& batch) const = 0;
};

// TaskBatches over tasks already in memory; `tasks` must outlive it.
class TaskSpan final : public TaskBatches {
 public:
  explicit TaskSpan(std::span<const PlannedTask> tasks) : tasks_(tasks) {}
  std::size_t size() const override { return tasks_.size(); }
  void ForEachBatch(std::size_t max, const BatchVisitor& batch) const override {
    for (std::size_t first = 0; first < tasks_.size(); first += max) {
      batch(tasks_.subspan(first, std::min(max, tasks_.size() - first)));
    }
  }

 private:
  std::span<const PlannedTask> tasks_;
};

class RunPlanningStore {
 public:
  virtual ~RunPlanningStore() = default;

  // The run lock of a job: two leaders never plan runs of one job at once,
  // whichever database node they write through; leaders of different jobs
  // do not wait for each other. TryLockRuns does not wait, and is
  // idempotent for its holder. The lock is a lease the store keeps renewing
  // while it is held: a holder that dies loses it within the lease, and a
  // holder whose lease could not be renewed in time (or was taken over)
  // sees RunLockHeld false and must stop what the lock protects. Released
  // by UnlockRuns.
  virtual bool TryLockRuns(const std::string& job) = 0;
  virtual bool RunLockHeld(const std::string& job) const = 0;
  virtual void UnlockRuns(const std::string& job) = 0;

  // A run of the job's leader that has not completed (PUBLISHING or
  // RUNNING, with a known task count), if any: the newest.
  virtual std::optional<RunId> ActiveRun(const std::string& job) = 0;

  // One transaction: the run row (PUBLISHING, task_count = tasks.size()),
  // its context, and every task as QUEUED. The tasks are read batch by
  // batch (more than once if the transaction is retried), so that a big run
  // can be written without being held in memory whole.
  virtual void CreateRun(const NewRun& run, const TaskBatches& tasks) = 0;
  // The same for tasks already in memory. (Implementations add
  // `using RunPlanningStore::CreateRun;` to keep this overload visible.)
  void CreateRun(const NewRun& run, std::span<const PlannedTask> tasks) {
    CreateRun(run, TaskSpan(tasks));
  }
  // Records a run that FAILED before any task was planned (its topology or
  // workload step failed): no tasks, its completion due, `error` saying
  // which step failed and why.
  virtual void RecordFailedRun(const NewRun& run, const std::string& error) = 0;

  // Records that tasks with seq <= through are confirmed by the broker.
  virtual void MarkPublished(const RunId& run, std::int64_t through) = 0;
  // PUBLISHING -> RUNNING (or straight to its final status if every task has
  // already ended).
  virtual void MarkRunning(const RunId& run) = 0;

  // QUEUED tasks past the watermark (seq > published), in seq order: the
  // ones that may never have been published.
  virtual std::vector<PlannedTask> UnpublishedTasks(const RunId& run) = 0;
  // Runs of the job still PUBLISHING (a leader died mid-publish), oldest
  // first.
  virtual std::vector<RunId> RunsLeftPublishing(const std::string& job) = 0;
};

}  // namespace dcp
