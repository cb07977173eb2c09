#include "mysql/run_completion.hpp"

#include "status_sql.hpp"

namespace dcp::mysql {
namespace {

// The status IF() picks is CompletedStatus(tasks_failed, tasks_cancelled).
const std::string kCompleteSql =
    "UPDATE run SET status = IF(tasks_failed > 0, " + Quoted(RunStatus::kFailed) +
    ", IF(tasks_cancelled > 0, " + Quoted(RunStatus::kCancelled) + ", " +
    Quoted(RunStatus::kFinished) + ")), finished_at = NOW(6) WHERE run_id = ? AND " +
    RunStatusIn(RunEvent::kComplete) +
    " AND task_count IS NOT NULL AND tasks_finished + tasks_failed + tasks_cancelled >= "
    "task_count";

}  // namespace

bool CompleteRunIfDone(Session& session, const std::string& run_id) {
  return session.Execute(kCompleteSql, {run_id}) == 1;
}

}  // namespace dcp::mysql
