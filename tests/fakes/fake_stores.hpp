#pragma once
// In-memory RunStore + TaskStore for unit tests of leader, worker, monitor
// and completion logic. It follows the domain's transition table
// (domain/task_status.hpp) and the ports' contracts; tests/contract holds it
// and the MySQL stores to the same tests, so where it passes them it
// behaves as the database does. Differences that remain, by design: no
// clock (a claim expires only with a zero lease; no stale tasks), no result
// streaming (ForEachTask sees the maps), and the run lock is a flag (its loss too).
// Thread-safe for the TaskStore calls (worker tests call them from several
// threads); RunStore calls are for one thread.
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "ports/run_store.hpp"
#include "ports/task_store.hpp"

namespace dcp::fakes {

struct FakeTask {
  std::optional<RunId> run;
  TaskStatus status = TaskStatus::kQueued;
  std::optional<std::int64_t> seq;  // none for a task the leader did not plan
  std::string selection;
  int attempt = 0;
  std::string worker, error;
};

struct FakeRun {
  NewRun info;
  RunStatus status = RunStatus::kPublishing;
  std::optional<std::int64_t> task_count;
  std::int64_t published = 0;
  bool completion_claimed = false;
  bool completion_reported = false;
  std::string error{};                        // RecordFailedRun's
  std::optional<ExportState> export_state{};  // none: no export step
};

class FakeStore final : public RunStore, public TaskStore {
 public:
  // RunPlanningStore
  bool TryLockRuns(const std::string& job) override;
  bool RunLockHeld(const std::string& job) const override;
  void UnlockRuns(const std::string& job) override { locked_jobs.erase(job); }
  std::optional<RunId> ActiveRun(const std::string& job) override;
  using RunPlanningStore::CreateRun;
  void CreateRun(const NewRun& run, const TaskBatches& tasks) override;
  void MarkPublished(const RunId& run, std::int64_t through) override;
  void MarkRunning(const RunId& run) override;
  std::vector<PlannedTask> UnpublishedTasks(const RunId& run) override;
  std::vector<RunId> RunsLeftPublishing(const std::string& job) override;
  void RecordFailedRun(const NewRun& run, const std::string& error) override;
  // RunReadModel, RunResults
  std::optional<RunSummary> GetRun(const RunId& run) override;
  std::optional<RunSummary> LatestRun() override;
  void ForEachTask(const RunId& run, const TaskVisitor& visit) override;
  // In fake_stores_operator.cpp: the rest of RunReadModel, RunOperations,
  // CompletionClaims, ExportClaims.
  std::vector<RunSummary> ListRuns(std::size_t limit) override;
  JobRunTimes RunTimesOf(const std::string& job) override;
  std::vector<TaskView> ListTasks(const RunId& run, std::optional<TaskStatus> status,
                                  std::size_t limit, std::size_t offset) override;
  std::vector<WorkerView> ListWorkers(std::optional<std::chrono::seconds> live_within,
                                      std::size_t limit) override;
  std::int64_t PruneWorkers(std::chrono::seconds older_than, std::size_t limit) override;
  CancelResult CancelRun(const RunId& run) override;
  std::optional<TaskView> GetTask(const RunId& run, const TaskId& task) override;
  std::vector<PlannedTask> RequeueFailed(const RunId& run) override;
  std::vector<PlannedTask> RequeueFailedTasks(const RunId& run,
                                              std::span<const TaskId> only) override;
  std::optional<RunSummary> ClaimCompletion(std::chrono::seconds lease) override;
  void CompletionReported(const RunId& run) override;
  std::optional<ExportClaim> ClaimExport(const std::vector<JobVersion>& jobs,
                                         std::chrono::seconds lease,
                                         const std::optional<RunId>& only) override;
  void ExportEnded(const ExportClaim& claim, bool ok, const std::string& error) override;
  ExportRequest RequestExport(const RunId& run) override;

  // TaskStore
  StartResult StartTask(const TaskMessage& m, std::string_view worker_id) override;
  bool FinishTask(const TaskMessage& m, const TaskResult& result) override;
  BatchRecord RecordBatch(const std::vector<FinishItem>& finish,
                          const std::vector<const TaskMessage*>& start,
                          std::string_view worker_id) override;
  WriteOutcome FailTask(const TaskId& task, const std::optional<RunId>& run, int attempt,
                        std::string_view error) override;
  WriteOutcome RequeueTask(const TaskId& task, int attempt, std::string_view error) override;
  std::optional<RunContext> LoadRunContext(const RunId& run) override;
  RunContext EnsureRunContext(const RunId& run, const RunContext& fallback) override;

  // Test controls and inspection.
  int fail_next_calls = 0;            // the next N TaskStore calls throw a transient DbError
  std::set<std::string> locked_jobs;  // the jobs whose run lock this store holds
  bool lock_held_elsewhere = false;
  bool run_lock_lost = false;          // the held run lock's lease was lost: RunLockHeld is false
  int lose_run_lock_after_marks = -1;  // the run lock is lost at the Nth MarkPublished (-1: never)
  std::map<RunId, FakeRun> runs;
  std::vector<RunId> run_order;
  std::map<TaskId, FakeTask> tasks;
  std::map<TaskId, TaskResult> results;
  std::vector<PlannedTask> planned;  // every task ever created, for UnpublishedTasks
  std::vector<WorkerView> workers;   // what ListWorkers returns, most recently seen first

 private:
  // RequeueFailed of every FAILED planned task, or only of `only`'s.
  std::vector<PlannedTask> Requeue(const RunId& run, std::optional<std::span<const TaskId>> only);
  void MaybeFail();
  // The run of another producer's message, created if it has no row.
  void EnsureRun(const RunId& run);
  // Adds a row the run did not plan, counted in a leader run's task count.
  FakeTask& AddUnplanned(const TaskId& task, const std::optional<RunId>& run,
                         std::string selection);
  bool FinishLocked(const TaskId& task, const TaskResult& result);
  void Complete(const std::optional<RunId>& run);
  std::optional<RunSummary> Summary(const RunId& run) const;
  std::mutex mutex_;
};

}  // namespace dcp::fakes
