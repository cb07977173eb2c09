#pragma once
// In-memory RunStore + TaskStore with the contract's semantics, for unit
// tests of leader and worker logic. Not a stand-in for the MySQL tests.
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "ports/run_store.hpp"
#include "ports/task_store.hpp"

namespace dcp::fakes {

struct FakeTask {
  std::optional<RunId> run;
  TaskStatus status = TaskStatus::kQueued;
  std::int64_t seq = 0;
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
};

class FakeStore final : public RunStore, public TaskStore {
 public:
  // RunStore
  bool TryLockRuns() override;
  void UnlockRuns() override { locked = false; }
  std::optional<RunId> ActiveRun() override;
  using RunStore::CreateRun;
  void CreateRun(const NewRun& run, const TaskBatches& tasks) override;
  void MarkPublished(const RunId& run, std::int64_t through) override;
  void MarkRunning(const RunId& run) override;
  std::vector<PlannedTask> UnpublishedTasks(const RunId& run) override;
  std::vector<RunId> RunsLeftPublishing() override;
  std::vector<PlannedTask> RequeueFailed(const RunId& run) override;
  std::optional<RunSummary> GetRun(const RunId& run) override;
  std::optional<RunSummary> LatestRun() override;
  void ForEachResult(const RunId& run, const ResultVisitor& row) override;
  // In fake_stores_operator.cpp.
  std::vector<RunSummary> ListRuns(std::size_t limit) override;
  std::vector<TaskView> ListTasks(const RunId& run, std::optional<TaskStatus> status,
                                  std::size_t limit) override;
  std::vector<WorkerView> ListWorkers() override { return workers; }
  CancelResult CancelRun(const RunId& run) override;
  // The fake has no clock: a claim never expires (lease is ignored).
  std::optional<RunSummary> ClaimCompletion(std::chrono::seconds lease) override;
  void CompletionReported(const RunId& run) override;

  // TaskStore
  StartResult StartTask(const TaskMessage& task, std::string_view worker_id) override;
  bool FinishTask(const TaskMessage& task, const TaskResult& result) override;
  void FailTask(const TaskId& task, const std::optional<RunId>& run,
                std::string_view error) override;
  void RequeueTask(const TaskId& task, std::string_view error) override;
  std::optional<RunContext> LoadRunContext(const RunId& run) override;
  RunContext EnsureRunContext(const RunId& run, const RunContext& fallback) override;

  // Test controls and inspection.
  int fail_next_calls = 0;  // the next N TaskStore calls throw a transient DbError
  bool locked = false;
  bool lock_held_elsewhere = false;
  std::map<RunId, FakeRun> runs;
  std::vector<RunId> run_order;
  std::map<TaskId, FakeTask> tasks;
  std::map<TaskId, TaskResult> results;
  std::vector<PlannedTask> planned;  // every task ever created, for UnpublishedTasks
  std::vector<WorkerView> workers;   // what ListWorkers returns

 private:
  void MaybeFail();
  void Complete(const RunId& run);
  std::mutex mutex_;
};

}  // namespace dcp::fakes
