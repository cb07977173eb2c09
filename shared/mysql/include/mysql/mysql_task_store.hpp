#pragma once
// TaskStore on MySQL (tables run_process, with the results, run, run_context).
//
// Decisions beyond the port's contract:
//  - FinishTask moves only STARTED -> FINISHED. Of two deliveries of one task
//    finishing concurrently, exactly one commits the transition; the other
//    returns false and changes nothing (its result is dropped). A QUEUED,
//    FAILED or unknown task is not finished either (false): start it first.
//  - run.tasks_finished / run.tasks_failed always equal the run's FINISHED /
//    FAILED rows: StartTask of a FAILED task (FAILED -> STARTED) takes it off
//    tasks_failed in the same transaction.
//  - A FAILED task is "failed for good" (StartTask returns kAlreadyFinished)
//    once its run has completed, or when its run is unknown (a malformed
//    message): a completed run is never reopened.
//  - A task with no row is added to its run; if that run was planned by a
//    leader (known task count), the count grows by one so that completion
//    still waits for every task.
//  - RecordBatch does a whole round in one transaction of a few statements
//    whatever its size: finishes first (rows locked FOR UPDATE in task_id
//    order, one UPDATE, one upsert of results, one counter UPDATE per run),
//    then starts (rows locked, one UPDATE). Tasks with no row and FAILED ones
//    are left to StartTask (nullopt): those paths are rare and need inserts
//    or the run's state.
// Errors and worker ids are stored as valid UTF-8, cut to the column size.
#include "mysql/session.hpp"
#include "ports/task_store.hpp"

namespace dcp::mysql {

class MysqlTaskStore final : public TaskStore {
 public:
  // `session` must outlive the store and is used by it only during a call.
  explicit MysqlTaskStore(Session& session) : session_(session) {}

  StartResult StartTask(const TaskMessage& task, std::string_view worker_id) override;
  bool FinishTask(const TaskMessage& task, const TaskResult& result) override;
  BatchRecord RecordBatch(const std::vector<FinishItem>& finish,
                          const std::vector<const TaskMessage*>& start,
                          std::string_view worker_id) override;
  WriteOutcome FailTask(const TaskId& task, const std::optional<RunId>& run, int attempt,
                        std::string_view error) override;
  WriteOutcome RequeueTask(const TaskId& task, int attempt, std::string_view error) override;
  std::optional<RunContext> LoadRunContext(const RunId& run) override;
  RunContext EnsureRunContext(const RunId& run, const RunContext& fallback) override;

 private:
  std::optional<StartResult> RestartFailed(const std::string& task_id, const std::string& worker);
  void InsertUnplannedTask(const TaskMessage& task);

  Session& session_;
};

}  // namespace dcp::mysql
