#include "mysql/mysql_run_store.hpp"

#include <algorithm>
#include <span>

#include "mysql/run_completion.hpp"
#include "mysql/transaction.hpp"
#include "ports/errors.hpp"
#include "run_context_rows.hpp"
#include "run_rows.hpp"
#include "sql_codec.hpp"
#include "status_sql.hpp"
#include "task_keys.hpp"

namespace dcp::mysql {
namespace {

constexpr const char* kTaskInsertHead =
    "INSERT INTO run_process (run_key, task_key, task_status, seq, selection, start_date, "
    "end_date, params, queued_at) VALUES ";
// The text of the values of a statement (selections, params) stays far
// below max_allowed_packet (a quarter of it: escaping can double them).
constexpr std::size_t kMaxInsertTextBytes = std::size_t{4} << 20;

Value OptText(const std::string& text) { return text.empty() ? Value{nullptr} : Value{text}; }

// Inserts the tasks of run_key (a KeyLiteral) as text (Session::
// ExecuteInline): their keys as literals, which the server takes as they
// are (UNHEX(REPLACE(?)) for two keys a row took 4 us of its CPU per row, a
// third of an insert's), in statements of about kMaxInsertTextBytes.
void InsertTasks(Session& s, const std::string& run_key, std::span<const PlannedTask> tasks) {
  const std::size_t budget = std::min(kMaxInsertTextBytes, s.max_allowed_packet() / 4);
  std::string sql;
  std::vector<Value> params;
  std::size_t bytes = 0;
  for (const PlannedTask& t : tasks) {
    const std::size_t row_bytes = t.selection.size() + t.params.size();
    if (!params.empty() && bytes + row_bytes > budget) {
      s.ExecuteInline(sql, params);
      sql.clear();
      params.clear();
      bytes = 0;
    }
    sql += sql.empty() ? kTaskInsertHead : ", ";
    sql +=
        "(" + run_key + ", " + KeyLiteral(t.id.ToString()) + ", 'QUEUED', ?, ?, ?, ?, ?, NOW(6))";
    params.insert(params.end(), {Value{t.seq}, t.selection, ToSqlDateTime(t.start),
                                 ToSqlDateTime(t.end), OptText(t.params)});
    bytes += row_bytes;
  }
  if (!params.empty()) s.ExecuteInline(sql, params);
}

// The tasks of one run (parameter: its id) in run_process.
const std::string kOfRun = "run_key = " + std::string(kIdKey);

// The statements, built once from the domain's table (see status_sql.hpp).
const std::string kActiveRunSql = "SELECT run_id FROM run WHERE job_name = ? AND " +
                                  RunStatusIn(ActiveRunStatuses()) +
                                  " AND task_count IS NOT NULL ORDER BY created_at DESC, id DESC "
                                  "LIMIT 1";
const std::string kMarkRunningSql = "UPDATE run SET status = " + Quoted(RunStatus::kRunning) +
                                    ", published_at = NOW(6) WHERE run_id = ? AND " +
                                    RunStatusIn(RunEvent::kPublished);
const std::string kLeftPublishingSql =
    "SELECT run_id FROM run WHERE job_name = ? AND status = " + Quoted(RunStatus::kPublishing) +
    " ORDER BY created_at, id";
const std::string kUnpublishedSql =
    "SELECT task_id, seq, selection, start_date, end_date, params FROM run_process WHERE " +
    kOfRun + " AND task_status = " + Quoted(TaskStatus::kQueued) +
    " AND seq > (SELECT published_tasks FROM run WHERE run_id = ?) ORDER BY seq";
// An operator's retry takes FAILED tasks, by their index.
const std::string kRetryableSql =
    "SELECT task_id, seq, selection, start_date, end_date, params FROM run_process WHERE " +
    kFailedOfRun + " AND " + TaskStatusIn(TaskEvent::kOperatorRetry) +
    " AND seq IS NOT NULL ORDER BY seq FOR UPDATE";
const std::string kRetrySql = "UPDATE run_process SET " + SetTaskStatus(TaskEvent::kOperatorRetry) +
                              ", attempt = 0, finished_at = NULL, queued_at = NOW(6) WHERE " +
                              kFailedOfRun + " AND " + TaskStatusIn(TaskEvent::kOperatorRetry) +
                              " AND seq IS NOT NULL";
const std::string kReopenSql =
    "UPDATE run SET tasks_failed = tasks_failed - ?, status = " + Quoted(RunStatus::kPublishing) +
    ", finished_at = NULL, published_tasks = LEAST(published_tasks, ?), "
    "completion_claimed_at = NULL, completion_reported_at = NULL, export_status = IF(export_status "
    "IS NULL, NULL, " +
    Quoted(ExportStatus::kPending) + "), export_error = NULL WHERE run_id = ?";
// The run's STARTED tasks whose worker is gone (stopped, silent for the
// parameter's seconds, or pruned), from the counts per worker (run_worker).
const std::string kStaleSql =
    "SELECT COALESCE(SUM(c.tasks_started), 0) FROM run_worker c LEFT JOIN worker w ON "
    "w.worker_id = c.worker WHERE c.run_id = ? AND c.tasks_started <> 0 AND (w.worker_id IS NULL "
    "OR w.stopped_at IS NOT NULL OR w.last_seen < NOW(6) - INTERVAL ? SECOND)";
const std::string kCancelTasksSql = "UPDATE run_process SET " + SetTaskStatus(TaskEvent::kCancel) +
                                    ", finished_at = NOW(6), error = 'run cancelled' WHERE " +
                                    kOfRun + " AND " + TaskStatusIn(TaskEvent::kCancel);
const std::string kCancelRunSql = "UPDATE run SET status = " + Quoted(RunStatus::kCancelled) +
                                  ", finished_at = NOW(6), tasks_cancelled = tasks_cancelled + ? "
                                  "WHERE run_id = ?";
// Runs that ended and whose completion is not reported, and whose claim (if
// any) is older than the lease (parameter): its claimer died.
const std::string kCompletionDue =
    "completion_reported_at IS NULL AND " + RunStatusIn(TerminalRunStatuses()) +
    " AND (completion_claimed_at IS NULL OR completion_claimed_at < NOW(6) - INTERVAL ? SECOND)";
const std::string kDueSql =
    "SELECT run_id FROM run WHERE " + kCompletionDue + " ORDER BY finished_at, id LIMIT 16";
const std::string kClaimSql =
    "UPDATE run SET completion_claimed_at = NOW(6) WHERE run_id = ? AND " + kCompletionDue;

PlannedTask PlannedTaskRow(const Row& r) {
  return PlannedTask{ParseTaskIdColumn(r.String(0)),
                     r.Int(1),
                     r.String(2),
                     ParseSqlLocalMinute(r.String(3)),
                     ParseSqlLocalMinute(r.String(4)),
                     r.OptString(5).value_or("")};
}

// A run of the leader (PUBLISHING, its tasks follow), and one that FAILED
// before any task was planned: RunRowValues, then their own columns.
const std::string kInsertRunSql =
    "INSERT INTO run (run_id, trigger_kind, job_name, job_sha256, params, status, task_count, "
    "selection_count, export_status, created_at) VALUES (?, ?, ?, ?, ?, " +
    Quoted(RunStatus::kPublishing) + ", ?, ?, ?, NOW(6))";
const std::string kInsertFailedRunSql =
    "INSERT INTO run (run_id, trigger_kind, job_name, job_sha256, params, status, task_count, "
    "error, created_at, finished_at) VALUES (?, ?, ?, ?, ?, " +
    Quoted(RunStatus::kFailed) + ", 0, ?, NOW(6), NOW(6))";

// The job file the run was planned with, if any.
void InsertRunJob(Session& s, const NewRun& run) {
  if (run.job_text.empty()) return;
  s.Execute("INSERT INTO run_job (run_id, job_text) VALUES (?, ?)",
            {run.id.ToString(), run.job_text});
}

// The columns of the run row both CreateRun and RecordFailedRun write.
std::vector<Value> RunRowValues(const NewRun& run) {
  const RunContext& context = run.context;
  return {run.id.ToString(), run.trigger, context.job_name.empty() ? "reference" : context.job_name,
          OptText(context.job_sha256), run.params_json};
}

std::optional<SysSeconds> OptUtc(const Row& r, unsigned column) {
  if (auto text = r.OptString(column)) return ParseSqlUtc(*text);
  return std::nullopt;
}

}  // namespace

RunStatus ParseRunStatusColumn(const std::string& text) {
  auto status = ParseRunStatus(text);
  if (!status) throw DbError("mysql: unexpected run status '" + text + "'", false);
  return *status;
}

RunSummary RunSummaryRow(const Row& r) {
  RunSummary s;
  s.id = ParseRunIdColumn(r.String(0));
  s.trigger = r.String(1);
  s.job = r.String(2);
  s.status = ParseRunStatusColumn(r.String(3));
  s.task_count = r.OptInt(4);
  s.published = r.Int(5);
  s.created_at = ParseSqlUtc(r.String(6));
  s.finished_at = OptUtc(r, 7);
  s.error = r.OptString(8).value_or("");
  if (auto text = r.OptString(9)) {
    const auto status = ParseExportStatus(*text);
    if (!status) throw DbError("mysql: unexpected export status '" + *text + "'", false);
    s.export_state = ExportState{*status, static_cast<int>(r.Int(10)), OptUtc(r, 11),
                                 r.OptString(12).value_or("")};
  }
  return s;
}

const std::string& CountColumns() {
  // STARTED from the counts per worker (migration 0012), a row for each
  // worker that started a task of the run; the rest from the run's row.
  static const std::string columns =
      "r.tasks_finished, r.tasks_failed, r.tasks_cancelled, (SELECT COALESCE(SUM(c.tasks_started), "
      "0) FROM run_worker c WHERE c.run_id = r.run_id), r.tasks_unplanned";
  return columns;
}

void ReadCounts(const Row& row, unsigned first, RunSummary& summary) {
  TaskCounts& counts = summary.counts;
  counts.finished = row.Int(first);
  counts.failed = row.Int(first + 1);
  counts.cancelled = row.Int(first + 2);
  counts.started = row.Int(first + 3);
  // Of a run of another producer, the rows its workers recorded.
  const std::int64_t tasks = summary.task_count.value_or(row.Int(first + 4));
  counts.queued = std::max<std::int64_t>(
      0, tasks - counts.finished - counts.failed - counts.cancelled - counts.started);
}

MysqlRunStore::MysqlRunStore(Session& session, std::chrono::seconds stale_after)
    : session_(session), stale_after_(stale_after) {}

bool MysqlRunStore::TryLockRuns(const std::string& job) {
  auto it = run_locks_.find(job);
  if (it == run_locks_.end()) {
    it = run_locks_.try_emplace(job, session_, job == "reference" ? "run" : "run." + job).first;
  }
  RunLockState& state = it->second;
  if (state.lock.held()) return true;
  state.keeper.reset();  // of a lease lost since
  if (!state.lock.Acquire(std::chrono::milliseconds(0))) return false;
  state.keeper = std::make_unique<LeaseKeeper>(state.lock, session_.NodesFromCurrent());
  return true;
}

bool MysqlRunStore::RunLockHeld(const std::string& job) const {
  const auto it = run_locks_.find(job);
  return it != run_locks_.end() && it->second.lock.held();
}

void MysqlRunStore::UnlockRuns(const std::string& job) {
  if (auto it = run_locks_.find(job); it != run_locks_.end()) {
    it->second.keeper.reset();
    it->second.lock.Release();
  }
}

std::optional<RunId> MysqlRunStore::ActiveRun(const std::string& job) {
  const auto id = session_.QueryString(kActiveRunSql, {job});
  if (!id) return std::nullopt;
  return ParseRunIdColumn(*id);
}

void MysqlRunStore::CreateRun(const NewRun& run, const TaskBatches& tasks) {
  const std::string run_id = run.id.ToString();
  RunTransaction(session_, [&](Session& s) {
    std::vector<Value> row = RunRowValues(run);
    row.insert(row.end(), {Value{static_cast<std::int64_t>(tasks.size())},
                           run.selection_count > 0 ? Value{run.selection_count} : Value{nullptr},
                           run.has_export ? Value{std::string(ToString(ExportStatus::kPending))}
                                          : Value{nullptr}});
    s.Execute(kInsertRunSql, row);
    InsertRunJob(s, run);
    InsertRunContext(s, run_id, run.context);
    const std::string run_key = KeyLiteral(run_id);
    tasks.ForEachBatch(kTaskInsertBatch,
                       [&](std::span<const PlannedTask> batch) { InsertTasks(s, run_key, batch); });
  });
}

void MysqlRunStore::RecordFailedRun(const NewRun& run, const std::string& error) {
  RunTransaction(session_, [&](Session& s) {
    std::vector<Value> row = RunRowValues(run);
    row.emplace_back(FitText(error, kMaxErrorBytes));
    s.Execute(kInsertFailedRunSql, row);
    InsertRunJob(s, run);
  });
}

// A transaction of its own, so that RunTransaction retries it: on Galera the
// run row's watermark conflicts with the workers' counter updates of the
// same row (error 1213 at commit, certification), which a lone statement
// passed up and failed the leader (e2e.cluster in CI). GREATEST makes a
// retry harmless.
void MysqlRunStore::MarkPublished(const RunId& run, std::int64_t through) {
  RunTransaction(session_, [&](Session& s) {
    s.Execute("UPDATE run SET published_tasks = GREATEST(published_tasks, ?) WHERE run_id = ?",
              {Value{through}, run.ToString()});
  });
}

void MysqlRunStore::MarkRunning(const RunId& run) {
  const std::string run_id = run.ToString();
  RunTransaction(session_, [&](Session& s) {
    s.Execute(kMarkRunningSql, {run_id});
    CompleteRunIfDone(s, run_id);
  });
}

std::vector<PlannedTask> MysqlRunStore::UnpublishedTasks(const RunId& run) {
  const std::string run_id = run.ToString();
  std::vector<PlannedTask> tasks;
  session_.Query(kUnpublishedSql, {run_id, run_id},
                 [&](const Row& r) { tasks.push_back(PlannedTaskRow(r)); });
  return tasks;
}

std::vector<RunId> MysqlRunStore::RunsLeftPublishing(const std::string& job) {
  std::vector<RunId> runs;
  session_.Query(kLeftPublishingSql, {job},
                 [&](const Row& r) { runs.push_back(ParseRunIdColumn(r.String(0))); });
  return runs;
}

std::vector<PlannedTask> MysqlRunStore::RequeueFailed(const RunId& run) {
  return Requeue(run, std::nullopt);
}

std::vector<PlannedTask> MysqlRunStore::RequeueFailedTasks(const RunId& run,
                                                           std::span<const TaskId> tasks) {
  if (tasks.empty()) return {};
  return Requeue(run, tasks);
}

std::vector<PlannedTask> MysqlRunStore::Requeue(const RunId& run,
                                                std::optional<std::span<const TaskId>> only) {
  const std::string run_id = run.ToString();
  // The tasks' own clause (prepared per list length; the common retry of a
  // whole run keeps its statements built once).
  std::string among;
  std::vector<Value> params{run_id};
  if (only) {
    among = " AND task_key IN (";
    for (std::size_t i = 0; i < only->size(); ++i) {
      if (i > 0) among += ", ";
      among += kIdKey;
      params.emplace_back((*only)[i].ToString());
    }
    among += ")";
  }
  const std::string retryable = only ? kRetryableSql.substr(0, kRetryableSql.rfind(" ORDER BY")) +
                                           among + " ORDER BY seq FOR UPDATE"
                                     : kRetryableSql;
  const std::string retry = kRetrySql + among;
  return RunTransaction(session_, [&](Session& s) {
    std::vector<PlannedTask> tasks;
    // A cancelled run stays cancelled.
    const auto status =
        s.QueryString("SELECT status FROM run WHERE run_id = ? FOR UPDATE", {run_id});
    if (!status || !CanApply(RunEvent::kOperatorRetry, ParseRunStatusColumn(*status))) {
      return tasks;
    }
    s.Query(retryable, params, [&](const Row& r) { tasks.push_back(PlannedTaskRow(r)); });
    if (tasks.empty()) return tasks;
    const auto moved = s.Execute(retry, params);
    // Back to PUBLISHING with the watermark before the first of them: if the
    // publishing that follows is cut short, the next leader start finishes it.
    s.Execute(kReopenSql, {static_cast<std::int64_t>(moved), tasks.front().seq - 1, run_id});
    return tasks;
  });
}

std::optional<RunSummary> MysqlRunStore::GetRun(const RunId& run) {
  return LoadRun("WHERE run_id = ?", {run.ToString()});
}

std::optional<RunSummary> MysqlRunStore::LatestRun() {
  return LoadRun("ORDER BY created_at DESC, id DESC LIMIT 1", {});
}

std::optional<RunSummary> MysqlRunStore::LoadRun(const std::string& where,
                                                 const std::vector<Value>& params) {
  std::optional<RunSummary> summary;
  session_.Query(
      "SELECT " + std::string(kRunColumns) + ", " + CountColumns() + " FROM run r " + where, params,
      [&](const Row& r) {
        summary = RunSummaryRow(r);
        ReadCounts(r, kRunColumnCount, *summary);
      });
  if (!summary) return std::nullopt;
  if (summary->counts.started > 0) {
    summary->stale = session_
                         .QueryInt(kStaleSql, {summary->id.ToString(),
                                               static_cast<std::int64_t>(stale_after_.count())})
                         .value_or(0);
  }
  return summary;
}

CancelResult MysqlRunStore::CancelRun(const RunId& run) {
  const std::string run_id = run.ToString();
  return RunTransaction(session_, [&](Session& s) {
    const auto status =
        s.QueryString("SELECT status FROM run WHERE run_id = ? FOR UPDATE", {run_id});
    if (!status) return CancelResult{CancelResult::Status::kNotFound, 0};
    if (!CanApply(RunEvent::kCancel, ParseRunStatusColumn(*status))) {
      return CancelResult{CancelResult::Status::kAlreadyEnded, 0};
    }
    const auto cancelled = static_cast<std::int64_t>(s.Execute(kCancelTasksSql, {run_id}));
    s.Execute(kCancelRunSql, {Value{cancelled}, run_id});
    return CancelResult{CancelResult::Status::kCancelled, cancelled};
  });
}

std::optional<RunSummary> MysqlRunStore::ClaimCompletion(std::chrono::seconds lease) {
  const Value lease_seconds{static_cast<std::int64_t>(lease.count())};
  std::vector<std::string> due;
  session_.Query(kDueSql, {lease_seconds}, [&](const Row& r) { due.push_back(r.String(0)); });
  for (const std::string& run_id : due) {
    // Of concurrent claimers, the row lock lets one UPDATE match; the others
    // see the new claim time and match nothing.
    if (session_.Execute(kClaimSql, {run_id, lease_seconds}) == 1) {
      return LoadRun("WHERE run_id = ?", {run_id});
    }
  }
  return std::nullopt;
}

// In a transaction of its own for RunTransaction's retry of a Galera
// conflict, as MarkPublished: a mark lost would report the run again once
// the claim's lease ran out.
void MysqlRunStore::CompletionReported(const RunId& run) {
  RunTransaction(session_, [&](Session& s) {
    s.Execute("UPDATE run SET completion_reported_at = NOW(6) WHERE run_id = ?", {run.ToString()});
  });
}

}  // namespace dcp::mysql
