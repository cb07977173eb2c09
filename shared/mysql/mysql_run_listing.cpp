// MysqlRunStore's read-only listings for operators (dcp runs / tasks, the
// monitor): runs, a run's tasks, workers.
#include <algorithm>
#include <string>

#include "mysql/mysql_run_store.hpp"
#include "ports/errors.hpp"
#include "run_rows.hpp"
#include "sql_codec.hpp"
#include "status_sql.hpp"
#include "task_keys.hpp"

namespace dcp::mysql {
namespace {

std::optional<SysSeconds> OptUtc(const Row& r, unsigned column) {
  if (auto text = r.OptString(column)) return ParseSqlUtc(*text);
  return std::nullopt;
}

std::int64_t Limit(std::size_t limit) {
  return static_cast<std::int64_t>(std::min<std::size_t>(limit, 1'000'000));
}

// The run rows and their counts per status (CountColumns: from the
// counters, in time that does not grow with the runs): the monitor asks
// every refresh.
const std::string& ListRunsSql() {
  static const std::string sql = "SELECT " + std::string(kRunColumns) + ", " + CountColumns() +
                                 " FROM run r ORDER BY r.created_at DESC, r.id DESC LIMIT ?";
  return sql;
}

}  // namespace

std::vector<RunSummary> MysqlRunStore::ListRuns(std::size_t limit) {
  std::vector<RunSummary> runs;
  session_.Query(ListRunsSql(), {Value{Limit(limit)}}, [&](const Row& r) {
    RunSummary s = RunSummaryRow(r);
    ReadCounts(r, kRunColumnCount, s);
    runs.push_back(std::move(s));
  });
  return runs;
}

const std::string kRunTimesSql =
    "SELECT (SELECT MAX(created_at) FROM run WHERE job_name = ?), (SELECT MIN(created_at) FROM "
    "run WHERE job_name = ? AND " +
    RunStatusIn(ActiveRunStatuses()) + ")";

JobRunTimes MysqlRunStore::RunTimesOf(const std::string& job) {
  JobRunTimes times;
  session_.Query(kRunTimesSql, {Value{job}, Value{job}}, [&](const Row& r) {
    times.newest_created = OptUtc(r, 0);
    times.oldest_active_created = OptUtc(r, 1);
  });
  return times;
}

namespace {

constexpr const char* kTaskColumns =
    "SELECT task_id, seq, task_status, selection, start_date, end_date, attempt, worker, "
    "started_at, finished_at, error FROM run_process ";

TaskView TaskViewRow(const Row& r) {
  const std::string status_text = r.String(2);
  const auto parsed = ParseTaskStatus(status_text);
  if (!parsed) throw DbError("mysql: unexpected task status '" + status_text + "'", false);
  TaskView t;
  t.id = ParseTaskIdColumn(r.String(0));
  t.seq = r.OptInt(1);
  t.status = *parsed;
  t.selection = r.OptString(3).value_or("");
  if (auto start = r.OptString(4)) t.start = ParseSqlLocalMinute(*start);
  if (auto end = r.OptString(5)) t.end = ParseSqlLocalMinute(*end);
  t.attempt = static_cast<int>(r.Int(6));
  t.worker = r.OptString(7).value_or("");
  t.started_at = OptUtc(r, 8);
  t.finished_at = OptUtc(r, 9);
  t.error = r.OptString(10).value_or("");
  return t;
}

}  // namespace

std::vector<TaskView> MysqlRunStore::ListTasks(const RunId& run, std::optional<TaskStatus> status,
                                               std::size_t limit, std::size_t offset) {
  // FAILED ones by their index; of another status, the run's rows in seq
  // order, up to the page (no index by status: migration 0012).
  std::string sql =
      std::string(kTaskColumns) + "WHERE " +
      (status == TaskStatus::kFailed ? kFailedOfRun : "run_key = " + std::string(kIdKey)) + " ";
  std::vector<Value> params{run.ToString()};
  if (status) {
    sql += "AND task_status = ? ";
    params.emplace_back(std::string(ToString(*status)));
  }
  sql += "ORDER BY seq IS NULL, seq, task_id LIMIT ? OFFSET ?";
  params.emplace_back(Limit(limit));
  params.emplace_back(Limit(offset));
  std::vector<TaskView> tasks;
  session_.Query(sql, params, [&](const Row& r) { tasks.push_back(TaskViewRow(r)); });
  return tasks;
}

std::optional<TaskView> MysqlRunStore::GetTask(const RunId& run, const TaskId& task) {
  std::optional<TaskView> view;
  session_.Query(std::string(kTaskColumns) + "WHERE task_key = " + std::string(kIdKey) +
                     " AND run_key = " + std::string(kIdKey),
                 {task.ToString(), run.ToString()}, [&](const Row& r) { view = TaskViewRow(r); });
  return view;
}

std::vector<WorkerView> MysqlRunStore::ListWorkers(std::optional<std::chrono::seconds> live_within,
                                                   std::size_t limit) {
  std::vector<WorkerView> workers;
  std::vector<Value> params;
  std::string where;
  if (live_within) {
    where = "WHERE stopped_at IS NULL AND last_seen >= NOW(6) - INTERVAL ? SECOND ";
    params.emplace_back(static_cast<std::int64_t>(live_within->count()));
  }
  params.emplace_back(Limit(limit));
  session_.Query(
      "SELECT worker_id, host, pid, started_at, last_seen, stopped_at, tasks_done, in_flight, "
      "current_task FROM worker " +
          where + "ORDER BY last_seen DESC, worker_id LIMIT ?",
      params, [&](const Row& r) {
        workers.push_back(WorkerView{r.String(0), r.String(1), r.Int(2), ParseSqlUtc(r.String(3)),
                                     ParseSqlUtc(r.String(4)), OptUtc(r, 5), r.Int(6), r.Int(7),
                                     r.OptString(8)});
      });
  return workers;
}

std::int64_t MysqlRunStore::PruneWorkers(std::chrono::seconds older_than, std::size_t limit) {
  // last_seen is indexed; a stopped worker's last_seen is its last beat.
  return static_cast<std::int64_t>(session_.Execute(
      "DELETE FROM worker WHERE last_seen < NOW(6) - INTERVAL ? SECOND ORDER BY last_seen "
      "LIMIT ?",
      {Value{static_cast<std::int64_t>(older_than.count())}, Value{Limit(limit)}}));
}

}  // namespace dcp::mysql
