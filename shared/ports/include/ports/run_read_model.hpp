#pragma once
// What operators read (dcp status / runs / tasks / workers, the monitor):
// runs with their counts, a run's tasks, the workers.
// Not thread-safe: one instance per thread. Throws DbError on failure.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/ids.hpp"
#include "domain/local_time.hpp"
#include "domain/task_status.hpp"

namespace dcp {

struct TaskCounts {
  std::int64_t queued = 0;
  std::int64_t started = 0;
  std::int64_t finished = 0;
  std::int64_t failed = 0;
  std::int64_t cancelled = 0;
};

// A run's export step (see ExportStatus).
struct ExportState {
  ExportStatus status = ExportStatus::kPending;
  int attempt = 0;  // claims so far
  std::optional<SysSeconds> finished_at;
  std::string error;  // a FAILED export's exit status and stderr tail
};

struct RunSummary {
  RunId id;
  std::string trigger;
  std::string job = "reference";
  RunStatus status = RunStatus::kPublishing;
  std::optional<std::int64_t> task_count;  // unknown for external runs
  std::int64_t published = 0;              // tasks with seq <= this are confirmed
  SysSeconds created_at{};
  std::optional<SysSeconds> finished_at;
  TaskCounts counts;  // from run_process
  // STARTED tasks whose worker has sent no heartbeat for the store's
  // stale_after (it died, or hangs): they come back through redelivery.
  std::int64_t stale = 0;
  std::string error{};  // why it FAILED before publishing (a failed step); "" if not
  std::optional<ExportState> export_state{};  // none: the job has no export command
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

// A job's newest run and its oldest active (PUBLISHING or RUNNING) one, by
// creation time: none when it has none.
struct JobRunTimes {
  std::optional<SysSeconds> newest_created;
  std::optional<SysSeconds> oldest_active_created;
};

class RunReadModel {
 public:
  virtual ~RunReadModel() = default;

  virtual std::optional<RunSummary> GetRun(const RunId& run) = 0;
  virtual std::optional<RunSummary> LatestRun() = 0;

  // The newest `limit` runs, newest first, with their counts (stale is
  // not computed: 0).
  virtual std::vector<RunSummary> ListRuns(std::size_t limit) = 0;
  // Two index lookups on (job_name, created_at), however many runs there
  // are and whoever made the newer ones (the monitor's alert gauges).
  virtual JobRunTimes RunTimesOf(const std::string& job) = 0;
  // The run's tasks in (seq, task id) order, only those in `status` if
  // given: at most `limit` of them, after skipping `offset` (a page).
  virtual std::vector<TaskView> ListTasks(const RunId& run, std::optional<TaskStatus> status,
                                          std::size_t limit, std::size_t offset) = 0;
  // Workers that sent a heartbeat, most recently seen first, at most
  // `limit`. With `live_within`, only those not stopped and seen that
  // recently (by the database's clock, which stamps the heartbeats); without,
  // every row kept (see RunOperations::PruneWorkers).
  virtual std::vector<WorkerView> ListWorkers(std::optional<std::chrono::seconds> live_within,
                                              std::size_t limit) = 0;
  // One task of `run`, or nullopt when the run has no such task.
  virtual std::optional<TaskView> GetTask(const RunId& run, const TaskId& task) = 0;
};

}  // namespace dcp
