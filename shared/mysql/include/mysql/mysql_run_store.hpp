#pragma once
#include <chrono>
// RunStore on MySQL (tables run, run_context, run_process with the results):
// every narrow run port (ports/run_store.hpp), so that one store can be
// passed wherever a client wants one of them.
//
// A job's run lock is a LeaseLock named "run" for the reference job and
// "run.<job>" for the others, with a lease of kRunLockLease. While it is
// held a LeaseKeeper renews it, from a thread and a connection of its own,
// so the lock survives a lost connection of this store's session, and the
// leader's thread may spend as long as it needs in one call. RunLockHeld
// turns false once the lease could not be renewed in time or was taken
// over. TryLockRuns is idempotent; one UnlockRuns releases it.
//
// ForEachTask streams rows from the server: the visitor must not use this
// store or its session.
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "mysql/lease_keeper.hpp"
#include "mysql/lease_lock.hpp"
#include "mysql/session.hpp"
#include "ports/run_store.hpp"

namespace dcp::mysql {

// The run lock's lease: how long a dead leader keeps the next from starting.
// Renewed every 5 s; the leader stops at 20 s without a renewal.
inline constexpr std::chrono::seconds kRunLockLease{30};

// Rows per INSERT statement in CreateRun.
inline constexpr std::size_t kTaskInsertBatch = 500;

class MysqlRunStore final : public RunStore {
 public:
  // `session` must outlive the store and is used by it only during a call.
  // A STARTED task counts as stale when its worker has not sent a heartbeat
  // for `stale_after` (3 x the workers' default heartbeat interval).
  explicit MysqlRunStore(Session& session,
                         std::chrono::seconds stale_after = std::chrono::seconds(30));

  bool TryLockRuns(const std::string& job) override;
  bool RunLockHeld(const std::string& job) const override;
  void UnlockRuns(const std::string& job) override;
  std::optional<RunId> ActiveRun(const std::string& job) override;
  using RunPlanningStore::CreateRun;
  // Writes each batch of kTaskInsertBatch tasks as it comes.
  void CreateRun(const NewRun& run, const TaskBatches& tasks) override;
  void MarkPublished(const RunId& run, std::int64_t through) override;
  void MarkRunning(const RunId& run) override;
  std::vector<PlannedTask> UnpublishedTasks(const RunId& run) override;
  std::vector<RunId> RunsLeftPublishing(const std::string& job) override;
  std::vector<PlannedTask> RequeueFailed(const RunId& run) override;
  std::vector<PlannedTask> RequeueFailedTasks(const RunId& run,
                                              std::span<const TaskId> tasks) override;
  std::optional<RunSummary> GetRun(const RunId& run) override;
  std::optional<RunSummary> LatestRun() override;
  void RecordFailedRun(const NewRun& run, const std::string& error) override;
  // In mysql_run_export.cpp.
  void ForEachTask(const RunId& run, const TaskVisitor& task) override;
  std::optional<ExportClaim> ClaimExport(const std::vector<JobVersion>& jobs,
                                         std::chrono::seconds lease,
                                         const std::optional<RunId>& only) override;
  void ExportEnded(const ExportClaim& claim, bool ok, const std::string& error) override;
  ExportRequest RequestExport(const RunId& run) override;
  // In mysql_run_listing.cpp.
  std::vector<RunSummary> ListRuns(std::size_t limit) override;
  JobRunTimes RunTimesOf(const std::string& job) override;
  std::vector<TaskView> ListTasks(const RunId& run, std::optional<TaskStatus> status,
                                  std::size_t limit, std::size_t offset) override;
  std::vector<WorkerView> ListWorkers(std::optional<std::chrono::seconds> live_within,
                                      std::size_t limit) override;
  std::int64_t PruneWorkers(std::chrono::seconds older_than, std::size_t limit) override;
  std::optional<TaskView> GetTask(const RunId& run, const TaskId& task) override;
  CancelResult CancelRun(const RunId& run) override;
  std::optional<RunSummary> ClaimCompletion(std::chrono::seconds lease) override;
  void CompletionReported(const RunId& run) override;

 private:
  // RequeueFailed of every FAILED planned task, or only of `only`'s.
  std::vector<PlannedTask> Requeue(const RunId& run, std::optional<std::span<const TaskId>> only);
  std::optional<RunSummary> LoadRun(const std::string& where, const std::vector<Value>& params);

  Session& session_;
  std::chrono::seconds stale_after_;
  struct RunLockState {
    RunLockState(Session& session, std::string name)
        : lock(session, std::move(name), kRunLockLease) {}
    LeaseLock lock;
    std::unique_ptr<LeaseKeeper> keeper;  // while held
  };
  std::map<std::string, RunLockState> run_locks_;  // by job
};

}  // namespace dcp::mysql
