#pragma once
// The leader's and the operator CLI's view of the database.
// Not thread-safe: one instance per thread. Throws DbError on failure.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "domain/ids.hpp"
#include "domain/local_time.hpp"
#include "domain/task_status.hpp"
#include "ports/run_context.hpp"

namespace dcp {

struct NewRun {
  RunId id;
  std::string trigger;      // "manual", "cron", "local"
  std::string params_json;  // the run's parameters, for the record
  RunContext context;       // time zone and topology, for the workers
};

struct PlannedTask {
  TaskId id;
  std::int64_t seq = 0;  // 1..N, publication order
  std::string selection;
  LocalMinute start;
  LocalMinute end;  // inclusive
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

struct TaskCounts {
  std::int64_t queued = 0;
  std::int64_t started = 0;
  std::int64_t finished = 0;
  std::int64_t failed = 0;
  std::int64_t cancelled = 0;
};

struct RunSummary {
  RunId id;
  std::string trigger;
  RunStatus status = RunStatus::kPublishing;
  std::optional<std::int64_t> task_count;  // unknown for external runs
  std::int64_t published = 0;              // tasks with seq <= this are confirmed
  SysSeconds created_at{};
  std::optional<SysSeconds> finished_at;
  TaskCounts counts;  // from run_process
  // STARTED tasks whose worker has sent no heartbeat for the store's
  // stale_after (it died, or hangs): they come back through redelivery.
  std::int64_t stale = 0;
};

// One task as an operator sees it (dcp tasks, the monitor).
struct TaskView {
  TaskId id;
  std::optional<std::int64_t> seq;  // none for tasks of external runs
  TaskStatus status = TaskStatus::kQueued;
  std::string selection;
  std::optional<LocalMinute> start, end;  // the window; none for a malformed message
  int attempt = 0;
  std::string worker;  // the last worker that started it; "" if none
  std::optional<SysSeconds> started_at, finished_at;
  std::string error;  // the last error ("" if none)
};

// A row of the `worker` table (see WorkerRegistry).
struct WorkerView {
  std::string worker_id;
  std::string host;
  std::int64_t pid = 0;
  SysSeconds started_at{};
  SysSeconds last_seen{};
  std::optional<SysSeconds> stopped_at;  // set when it stopped cleanly
  std::int64_t tasks_done = 0;
  std::int64_t in_flight = 0;
  std::optional<std::string> current_task;  // the task it computes now, if any
};

struct CancelResult {
  enum class Status { kCancelled, kAlreadyEnded, kNotFound };
  Status status = Status::kCancelled;
  std::int64_t tasks_cancelled = 0;  // QUEUED tasks now CANCELLED
};

class RunStore {
 public:
  virtual ~RunStore() = default;

  // The run lock (a named server lock held by this connection): two leaders
  // never run at once. Released by UnlockRuns or when the connection ends.
  virtual bool TryLockRuns() = 0;
  virtual void UnlockRuns() = 0;

  // A run of a leader that has not completed (PUBLISHING or RUNNING, with a
  // known task count), if any: the newest.
  virtual std::optional<RunId> ActiveRun() = 0;

  // One transaction: the run row (PUBLISHING, task_count = tasks.size()),
  // its context, and every task as QUEUED. The tasks are read batch by
  // batch (more than once if the transaction is retried), so that a big run
  // can be written without being held in memory whole.
  virtual void CreateRun(const NewRun& run, const TaskBatches& tasks) = 0;
  // The same for tasks already in memory. (Implementations add
  // `using RunStore::CreateRun;` to keep this overload visible.)
  void CreateRun(const NewRun& run, std::span<const PlannedTask> tasks) {
    CreateRun(run, TaskSpan(tasks));
  }

  // Records that tasks with seq <= through are confirmed by the broker.
  virtual void MarkPublished(const RunId& run, std::int64_t through) = 0;
  // PUBLISHING -> RUNNING (or straight to its final status if every task has
  // already ended).
  virtual void MarkRunning(const RunId& run) = 0;

  // QUEUED tasks past the watermark (seq > published), in seq order: the
  // ones that may never have been published.
  virtual std::vector<PlannedTask> UnpublishedTasks(const RunId& run) = 0;
  // Runs still PUBLISHING (a leader died mid-publish), oldest first.
  virtual std::vector<RunId> RunsLeftPublishing() = 0;

  // Operator retry: every FAILED task the leader planned (seq recorded) goes
  // back to QUEUED with attempt 0; the run goes back to PUBLISHING with its
  // watermark before the first of them, so that UnpublishedTasks lists them
  // (and a retry cut short is finished by the next leader). One transaction.
  // Returns those tasks.
  virtual std::vector<PlannedTask> RequeueFailed(const RunId& run) = 0;

  virtual std::optional<RunSummary> GetRun(const RunId& run) = 0;
  virtual std::optional<RunSummary> LatestRun() = 0;

  // The newest `limit` runs, newest first, with their counts (stale is
  // not computed: 0).
  virtual std::vector<RunSummary> ListRuns(std::size_t limit) = 0;
  // The run's tasks in (seq, task id) order, only those in `status` if
  // given, at most `limit`.
  virtual std::vector<TaskView> ListTasks(const RunId& run, std::optional<TaskStatus> status,
                                          std::size_t limit) = 0;
  // Every worker that ever sent a heartbeat, most recently seen first.
  virtual std::vector<WorkerView> ListWorkers() = 0;

  // Operator cancel, one transaction: a run not yet ended becomes CANCELLED
  // (terminal, with its end time) and its QUEUED tasks CANCELLED, counted
  // in the run. STARTED tasks finish or fail as usual and are counted, but
  // the run stays CANCELLED; workers ack and skip messages of CANCELLED
  // tasks (StartOutcome::kCancelled).
  virtual CancelResult CancelRun(const RunId& run) = 0;

  // Completion notification, at most one claimer per run: claims a run that
  // has ended (FINISHED, FAILED or CANCELLED) and whose completion has not
  // been reported, by one conditional UPDATE, and returns it. A claim whose
  // claimer did not call CompletionReported within `lease` (it died) may be
  // claimed again. nullopt: nothing to report.
  virtual std::optional<RunSummary> ClaimCompletion(std::chrono::seconds lease) = 0;
  virtual void CompletionReported(const RunId& run) = 0;

  // Every result of the run, ordered by (selection, start, task_id): calls
  // `row(computation, selection, start, end, body)` for each.
  using ResultVisitor =
      std::function<void(const std::string& computation, const std::string& selection,
                         LocalMinute start, LocalMinute end, const std::string& body)>;
  virtual void ForEachResult(const RunId& run, const ResultVisitor& row) = 0;
};

}  // namespace dcp
