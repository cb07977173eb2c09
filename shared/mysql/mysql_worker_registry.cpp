#include "mysql/mysql_worker_registry.hpp"

#include "sql_codec.hpp"

namespace dcp::mysql {

void MysqlWorkerRegistry::Beat(const WorkerBeat& beat) {
  const Value current = beat.current_task ? Value(FitText(*beat.current_task, 36)) : Value(nullptr);
  session_.Execute(
      "INSERT INTO worker (worker_id, host, pid, started_at, last_seen, tasks_done, in_flight, "
      "current_task) VALUES (?, ?, ?, NOW(6), NOW(6), ?, ?, ?) ON DUPLICATE KEY UPDATE "
      "last_seen = NOW(6), stopped_at = NULL, tasks_done = ?, in_flight = ?, current_task = ?",
      {FitText(beat.worker_id, 255), FitText(beat.host, 255), beat.pid, beat.tasks_done,
       beat.in_flight, current, beat.tasks_done, beat.in_flight, current});
}

void MysqlWorkerRegistry::Leave(std::string_view worker_id) {
  session_.Execute(
      "UPDATE worker SET stopped_at = NOW(6), in_flight = 0, current_task = NULL "
      "WHERE worker_id = ?",
      {FitText(worker_id, 255)});
}

}  // namespace dcp::mysql
