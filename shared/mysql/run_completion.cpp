#include "mysql/run_completion.hpp"

namespace dcp::mysql {

bool CompleteRunIfDone(Session& session, const std::string& run_id) {
  return session.Execute(
             "UPDATE run SET status = IF(tasks_failed > 0, 'FAILED', "
             "IF(tasks_cancelled > 0, 'CANCELLED', 'FINISHED')), finished_at = NOW(6) "
             "WHERE run_id = ? AND status = 'RUNNING' AND task_count IS NOT NULL "
             "AND tasks_finished + tasks_failed + tasks_cancelled >= task_count",
             {run_id}) == 1;
}

}  // namespace dcp::mysql
