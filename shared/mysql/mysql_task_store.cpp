#include "mysql/mysql_task_store.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "mysql/run_completion.hpp"
#include "mysql/transaction.hpp"
#include "ports/errors.hpp"
#include "run_context_rows.hpp"
#include "sql_codec.hpp"
#include "status_sql.hpp"
#include "task_keys.hpp"

namespace dcp::mysql {
namespace {

constexpr std::size_t kMaxWorkerBytes = 255;      // worker VARCHAR(255)
constexpr std::size_t kMaxComputationBytes = 32;  // computation VARCHAR(32)
// StartTask re-reads the row this often when it keeps changing under it.
constexpr int kStartRounds = 4;

// The statements of the single forms, built once from the domain's table:
// their text never changes, so each stays one cached prepared statement.
// A start sets STARTED with the next attempt; its callers hold the row's
// lock (LockRow), so the attempt is the one they read plus one.
// Every statement finds its row by task_key (task_keys.hpp).
const std::string kByTask = " WHERE task_key = " + std::string(kIdKey) + " AND ";
std::string StartSql(TaskEvent event) {
  return "UPDATE run_process SET " + SetTaskStatus(event) +
         ", attempt = attempt + 1, worker = ?, started_at = NOW(6), "
         "finished_at = NULL, error = NULL" +
         kByTask + TaskStatusIn(event);
}
const std::string kStartSql = StartSql(TaskEvent::kStart);
const std::string kRestartSql = StartSql(TaskEvent::kRestart);
// Fragments of the batch forms, whose text grows with the list of ids.
const std::string kSetStarted = SetTaskStatus(TaskEvent::kStart);
const std::string kSetFinished = SetTaskStatus(TaskEvent::kFinish);
const std::string kFinishableIn = TaskStatusIn(TaskEvent::kFinish);
// The result goes into the row that the same statement finishes.
const std::string kFinishSql = "UPDATE run_process SET " + kSetFinished +
                               ", finished_at = NOW(6), error = NULL, computation = ?, result = ?" +
                               kByTask + kFinishableIn;
// The writes of a failure belong to one attempt (see TaskStore, Ownership).
const std::string kFailSql = "UPDATE run_process SET " + SetTaskStatus(TaskEvent::kFail) +
                             ", error = ?, finished_at = NOW(6)" + kByTask + "attempt = ? AND " +
                             TaskStatusIn(TaskEvent::kFail);
// Not a transition: a FAILED task failing again keeps the latest error.
const std::string kFailAgainSql = "UPDATE run_process SET error = ?" + kByTask +
                                  "attempt = ? AND task_status = " + Quoted(TaskStatus::kFailed);
const std::string kRequeueSql = "UPDATE run_process SET " + SetTaskStatus(TaskEvent::kRequeue) +
                                ", error = ?, queued_at = NOW(6)" + kByTask + "attempt = ? AND " +
                                TaskStatusIn(TaskEvent::kRequeue);
const std::string kCancelRetrySql = "UPDATE run_process SET " +
                                    SetTaskStatus(TaskEvent::kCancelRetry) +
                                    ", error = ?, finished_at = NOW(6)" + kByTask +
                                    "attempt = ? AND " + TaskStatusIn(TaskEvent::kCancelRetry);
const std::string kKeys = std::string(kIdKey) + ", " + std::string(kIdKey);
const std::string kInsertUnplannedSql =
    "INSERT IGNORE INTO run_process (run_key, task_key, task_status, selection, start_date, "
    "end_date, queued_at) VALUES (" +
    kKeys + ", 'QUEUED', ?, ?, ?, NOW(6))";
const std::string kInsertFailedSql =
    "INSERT IGNORE INTO run_process (run_key, task_key, task_status, error, finished_at) VALUES (" +
    kKeys + ", 'FAILED', ?, NOW(6))";
// A row's state (RowState below reads them).
constexpr std::string_view kRowStateColumns = "task_status, attempt, run_key, worker";
const std::string kLockRowSql = "SELECT " + std::string(kRowStateColumns) +
                                " FROM run_process WHERE task_key = " + std::string(kIdKey) +
                                " FOR UPDATE";
const std::string kRowRunIdSql =
    "SELECT run_id FROM run_process WHERE task_key = " + std::string(kIdKey);

// A row's status column; a value the schema does not know is corrupt.
TaskStatus ParseStatusColumn(const std::string& text) {
  const auto status = ParseTaskStatus(text);
  if (!status) throw DbError("mysql: unexpected task status '" + text + "'", false);
  return *status;
}

void EnsureRun(Session& s, const std::string& run_id) {
  s.Execute(
      "INSERT IGNORE INTO run (run_id, trigger_kind, status, created_at) "
      "VALUES (?, 'external', 'RUNNING', NOW(6))",
      {run_id});
}

// After inserting a task row the run did not plan: a planned run counts
// it in its task_count, a run of another producer (task_count NULL) only in
// tasks_unplanned, from which its QUEUED count follows (migration 0012).
void CountUnplanned(Session& s, const std::string& run_id) {
  s.Execute(
      "UPDATE run SET last_activity_at = NOW(6), tasks_unplanned = tasks_unplanned + 1, "
      "task_count = task_count + 1 WHERE run_id = ?",
      {run_id});
}

// A task row's state, read with its lock held to the end of the
// transaction: what a write of it finds, and changes the counts by.
struct LockedRow {
  TaskStatus status;
  int attempt;
  std::optional<std::string> run_id;  // none: a malformed message's row, of no run
  std::string worker;                 // who started it last ("" if nobody)
};
// A row's kRowStateColumns, from column `first` on.
LockedRow RowState(const Row& r, unsigned first) {
  return LockedRow{ParseStatusColumn(r.String(first)), static_cast<int>(r.Int(first + 1)),
                   r.IsNull(first + 2) ? std::nullopt : std::optional(KeyText(r.String(first + 2))),
                   r.OptString(first + 3).value_or("")};
}
std::optional<LockedRow> LockRow(Session& s, const std::string& task_id) {
  std::optional<LockedRow> row;
  s.Query(kLockRowSql, {task_id}, [&](const Row& r) { row = RowState(r, 0); });
  return row;
}

// Why a failure write of some attempt did not apply to an existing row:
// the task has ended, or (QUEUED, STARTED) another attempt holds it.
WriteOutcome NotApplied(const LockedRow& row) {
  return CanApply(TaskEvent::kFail, row.status) ? WriteOutcome::kNotOwner : WriteOutcome::kEnded;
}

// What one transaction's writes change the STARTED counts by (run_worker,
// migration 0012: per run and worker, its tasks of the run STARTED now),
// written before it commits, in (run, worker) order: a fixed lock order.
// dcp status reads them instead of counting rows by an index that every
// status write would move.
class StartedCounts {
 public:
  // `worker` started a task of `run`.
  void Entered(const std::optional<std::string>& run, const std::string& worker) {
    Add(run, worker, 1);
  }
  // The row leaves the status it was read in: a STARTED one is no longer
  // its worker's.
  void Left(const LockedRow& row) {
    if (row.status == TaskStatus::kStarted) Add(row.run_id, row.worker, -1);
  }
  void Write(Session& s) const {
    for (const auto& [key, delta] : deltas_) {
      if (delta == 0) continue;
      s.Execute(
          "INSERT INTO run_worker (run_id, worker, tasks_started) VALUES (?, ?, ?) ON DUPLICATE "
          "KEY UPDATE tasks_started = tasks_started + ?",
          {key.first, key.second, Value{delta}, Value{delta}});
    }
  }

 private:
  void Add(const std::optional<std::string>& run, const std::string& worker, std::int64_t delta) {
    if (run) deltas_[{*run, worker}] += delta;
  }
  std::map<std::pair<std::string, std::string>, std::int64_t> deltas_;
};

// The run_id recorded on the task's row (which counts it), if any.
std::optional<std::string> RowRunId(Session& s, const std::string& task_id) {
  return s.QueryString(kRowRunIdSql, {task_id});
}

// The batch forms. A statement takes at most this many task ids or result
// rows; a larger batch is split into several statements of one transaction.
// They go as text (Session::ExecuteInline): lists of every length would
// otherwise each hold a cached prepared statement and its buffers.
constexpr std::size_t kMaxBatchRows = 256;
// Result bodies per batch UPDATE (FinishRows): a statement stays far below
// max_allowed_packet (16 MiB on MariaDB by default; a quarter of it, as
// escaping can double a body). A larger body goes alone; one the text form
// cannot carry fails the batch (kData) and is then sent by FinishTask,
// whose prepared form carries it unescaped.
constexpr std::size_t kMaxBatchResultBytes = std::size_t{4} << 20;

// The keys of ids[begin, end), comma separated.
std::string KeyList(const std::vector<std::string>& ids, std::size_t begin, std::size_t end) {
  std::string text;
  for (std::size_t i = begin; i < end; ++i) {
    if (i > begin) text += ", ";
    text += KeyLiteral(ids[i]);
  }
  return text;
}

// The key lists of `ids` for "task_key IN (...)", at most kMaxBatchRows
// each, in the given order.
std::vector<std::string> InLists(const std::vector<std::string>& ids) {
  std::vector<std::string> lists;
  for (std::size_t begin = 0; begin < ids.size(); begin += kMaxBatchRows) {
    lists.push_back(KeyList(ids, begin, std::min(ids.size(), begin + kMaxBatchRows)));
  }
  return lists;
}

struct ResultRow {
  std::string task_id;
  std::string computation;
  const std::string* body = nullptr;
};

// Finishes the rows and stores their results, by one UPDATE per at most
// kMaxBatchRows rows and about kMaxBatchResultBytes of bodies: each row's
// result is picked by a CASE on its key, its computation too unless the
// statement's rows share one (a worker's usually do).
void FinishRows(Session& s, const std::vector<ResultRow>& rows) {
  const std::size_t budget = std::min(kMaxBatchResultBytes, s.max_allowed_packet() / 4);
  std::size_t begin = 0;
  while (begin < rows.size()) {
    std::size_t end = begin;
    std::size_t bytes = 0;
    bool one_computation = true;
    while (end < rows.size() && end - begin < kMaxBatchRows &&
           (end == begin || bytes + rows[end].body->size() <= budget)) {
      bytes += rows[end].body->size();
      one_computation = one_computation && rows[end].computation == rows[begin].computation;
      ++end;
    }
    std::vector<std::string> keys;  // of rows[begin, end)
    keys.reserve(end - begin);
    for (std::size_t i = begin; i < end; ++i) keys.push_back(KeyLiteral(rows[i].task_id));
    std::vector<Value> params;
    std::string computation = "?";
    if (one_computation) {
      params.emplace_back(rows[begin].computation);
    } else {
      computation = "CASE task_key ";
      for (std::size_t i = begin; i < end; ++i) {
        computation += "WHEN " + keys[i - begin] + " THEN ? ";
        params.emplace_back(rows[i].computation);
      }
      computation += "END";
    }
    std::string result = "CASE task_key ";
    std::string in;
    for (std::size_t i = begin; i < end; ++i) {
      result += "WHEN " + keys[i - begin] + " THEN ? ";
      params.emplace_back(*rows[i].body);
      in += (i > begin ? ", " : "") + keys[i - begin];
    }
    result += "END";
    s.ExecuteInline("UPDATE run_process FORCE INDEX (uq_run_process_task_key) SET " + kSetFinished +
                        ", finished_at = NOW(6), error = NULL, computation = " + computation +
                        ", result = " + result + " WHERE task_key IN (" + in + ")",
                    params);
    begin = end;
  }
}

// RecordBatch's starts, inside the caller's transaction.
std::vector<std::optional<StartResult>> StartLocked(Session& s,
                                                    const std::vector<const TaskMessage*>& tasks,
                                                    std::string_view worker_id) {
  if (tasks.empty()) return {};
  std::vector<std::string> keys;  // task ids as text, by position in `tasks`
  keys.reserve(tasks.size());
  for (const TaskMessage* task : tasks) keys.push_back(task->task_id.ToString());
  const std::set<std::string> distinct(keys.begin(), keys.end());
  const std::string worker = FitText(worker_id, kMaxWorkerBytes);
  std::map<std::string, StartResult> found;
  StartedCounts counts;
  for (const std::string& in : InLists({distinct.begin(), distinct.end()})) {
    s.QueryInline(
        "SELECT task_key, " + std::string(kRowStateColumns) +
            " FROM run_process FORCE INDEX (uq_run_process_task_key) WHERE task_key IN (" + in +
            ") FOR UPDATE",
        {}, [&](const Row& r) {
          const LockedRow row = RowState(r, 1);
          std::optional<StartResult> result;
          if (CanApply(TaskEvent::kStart, row.status)) {
            result = {StartOutcome::kStarted, row.attempt + 1};
            counts.Left(row);
            counts.Entered(row.run_id, worker);
          } else if (row.status == TaskStatus::kFinished) {
            result = {StartOutcome::kAlreadyFinished, row.attempt};
          } else if (row.status == TaskStatus::kCancelled) {
            result = {StartOutcome::kCancelled, row.attempt};
          }  // FAILED (TaskEvent::kRestart): StartTask decides by the run's state
          if (result) found[KeyText(r.String(0))] = *result;
        });
  }
  std::vector<std::string> to_start;
  for (const auto& [id, result] : found) {
    if (result.outcome == StartOutcome::kStarted) to_start.push_back(id);
  }
  for (const std::string& in : InLists(to_start)) {
    // The rows are locked: attempt + 1 is the attempt read above plus one.
    s.ExecuteInline("UPDATE run_process FORCE INDEX (uq_run_process_task_key) SET " + kSetStarted +
                        ", attempt = attempt + 1, worker = ?, started_at = NOW(6), "
                        "finished_at = NULL, error = NULL WHERE task_key IN (" +
                        in + ")",
                    {worker});
  }
  counts.Write(s);
  std::vector<std::optional<StartResult>> started;
  started.reserve(tasks.size());
  for (const std::string& key : keys) {
    const auto it = found.find(key);
    started.push_back(it == found.end() ? std::nullopt : std::optional(it->second));
  }
  return started;
}

// RecordBatch's finishes, inside the caller's transaction.
std::vector<bool> FinishLocked(Session& s, const std::vector<FinishItem>& items) {
  if (items.empty()) return {};
  // Of items with the same task id the first is recorded, as by FinishTask.
  std::map<std::string, std::size_t> first;
  for (std::size_t i = 0; i < items.size(); ++i) {
    first.emplace(items[i].task->task_id.ToString(), i);
  }
  std::vector<std::string> ids;
  ids.reserve(first.size());
  for (const auto& entry : first) ids.push_back(entry.first);
  // Finishable (QUEUED or STARTED) task -> the run that counts it: its
  // row's, as in FinishTask. These, and only these, are recorded.
  std::map<std::string, std::string> started;
  StartedCounts counts;
  for (const std::string& in : InLists(ids)) {
    s.QueryInline(
        "SELECT task_key, " + std::string(kRowStateColumns) +
            " FROM run_process FORCE INDEX (uq_run_process_task_key) WHERE task_key IN (" + in +
            ") AND " + kFinishableIn + " FOR UPDATE",
        {}, [&](const Row& r) {
          std::string id = KeyText(r.String(0));
          const LockedRow row = RowState(r, 1);
          counts.Left(row);
          const FinishItem& item = items[first.at(id)];
          started[std::move(id)] = row.run_id.value_or(item.task->run_id.ToString());
        });
  }
  std::vector<bool> recorded(items.size(), false);
  if (started.empty()) return recorded;
  std::vector<ResultRow> results;
  results.reserve(started.size());
  std::map<std::string, std::int64_t> per_run;  // in run_id order: a fixed lock order
  for (const auto& [id, run_id] : started) {
    const std::size_t index = first.at(id);
    const TaskResult& result = *items[index].result;
    results.push_back({id, FitText(result.computation, kMaxComputationBytes), &result.body});
    ++per_run[run_id];
    recorded[index] = true;
  }
  FinishRows(s, results);
  for (const auto& [run_id, count] : per_run) {
    s.Execute(
        "UPDATE run SET last_activity_at = NOW(6), tasks_finished = tasks_finished + ? WHERE "
        "run_id = ?",
        {Value{count}, run_id});
    CompleteRunIfDone(s, run_id);
  }
  counts.Write(s);
  return recorded;
}

}  // namespace

StartResult MysqlTaskStore::StartTask(const TaskMessage& task, std::string_view worker_id) {
  const std::string task_id = task.task_id.ToString();
  const std::string worker = FitText(worker_id, kMaxWorkerBytes);
  for (int round = 0; round < kStartRounds; ++round) {
    // The row's state, locked, then the start it allows; no row (a task the
    // leader did not plan) or a FAILED one go on below.
    std::optional<StartResult> result;
    std::optional<TaskStatus> status;
    RunTransaction(session_, [&](Session& s) {
      result.reset();
      const auto row = LockRow(s, task_id);
      status = row ? std::optional(row->status) : std::nullopt;
      if (!row) return;
      if (CanApply(TaskEvent::kStart, row->status)) {
        s.Execute(kStartSql, {worker, task_id});
        StartedCounts counts;
        counts.Left(*row);
        counts.Entered(row->run_id, worker);
        counts.Write(s);
        result = StartResult{StartOutcome::kStarted, row->attempt + 1};
      } else if (row->status == TaskStatus::kFinished) {
        result = StartResult{StartOutcome::kAlreadyFinished, row->attempt};
      } else if (row->status == TaskStatus::kCancelled) {
        result = StartResult{StartOutcome::kCancelled, row->attempt};
      }
    });
    if (result) return *result;
    if (!status) {
      InsertUnplannedTask(task);
    } else if (CanApply(TaskEvent::kRestart, *status)) {
      if (auto started = RestartFailed(task_id, worker)) return *started;
    }
  }
  throw DbError("mysql: task " + task_id + " kept changing state while being started",
                DbErrorKind::kConflict);
}

std::optional<StartResult> MysqlTaskStore::RestartFailed(const std::string& task_id,
                                                         const std::string& worker) {
  return RunTransaction(session_, [&](Session& s) -> std::optional<StartResult> {
    const auto row = LockRow(s, task_id);
    // Moved meanwhile: look again.
    if (!row || !CanApply(TaskEvent::kRestart, row->status)) return std::nullopt;
    const std::optional<std::string>& run_id = row->run_id;
    const int attempt = row->attempt;
    if (!run_id) return StartResult{StartOutcome::kAlreadyFinished, attempt};
    const auto run_text =
        s.QueryString("SELECT status FROM run WHERE run_id = ? FOR UPDATE", {*run_id});
    const auto run_status = run_text ? ParseRunStatus(*run_text) : std::nullopt;
    // A completed run is never reopened: its FAILED task is failed for good.
    if (run_status == RunStatus::kCancelled) return StartResult{StartOutcome::kCancelled, attempt};
    if (run_status && IsTerminal(*run_status)) {
      return StartResult{StartOutcome::kAlreadyFinished, attempt};
    }
    s.Execute(kRestartSql, {worker, task_id});
    s.Execute(
        "UPDATE run SET last_activity_at = NOW(6), tasks_failed = tasks_failed - 1 WHERE run_id = "
        "?",
        {*run_id});
    StartedCounts counts;
    counts.Entered(run_id, worker);
    counts.Write(s);
    return StartResult{StartOutcome::kStarted, attempt + 1};
  });
}

void MysqlTaskStore::InsertUnplannedTask(const TaskMessage& task) {
  const std::string run_id = task.run_id.ToString();
  RunTransaction(session_, [&](Session& s) {
    EnsureRun(s, run_id);
    if (s.Execute(kInsertUnplannedSql, {run_id, task.task_id.ToString(), task.selection,
                                        ToSqlDateTime(task.start), ToSqlDateTime(task.end)}) == 1) {
      CountUnplanned(s, run_id);
    }
  });
}

bool MysqlTaskStore::FinishTask(const TaskMessage& task, const TaskResult& result) {
  const std::string task_id = task.task_id.ToString();
  return RunTransaction(session_, [&](Session& s) {
    const auto row = LockRow(s, task_id);
    if (!row || s.Execute(kFinishSql, {FitText(result.computation, kMaxComputationBytes),
                                       result.body, task_id}) == 0) {
      return false;
    }
    const std::string run_id = row->run_id.value_or(task.run_id.ToString());
    s.Execute(
        "UPDATE run SET last_activity_at = NOW(6), tasks_finished = tasks_finished + 1 WHERE "
        "run_id = ?",
        {run_id});
    StartedCounts counts;
    counts.Left(*row);
    counts.Write(s);
    CompleteRunIfDone(s, run_id);
    return true;
  });
}

// The batch statements are forced onto the unique task_key index: on a small
// table the optimizer would rather scan it all, which under REPEATABLE READ
// locks every row. On the index, two workers' batches lock their rows in
// task_key order (IN ranges are read in order, chunks go in order), so they
// cannot deadlock each other. A unique-index lookup locks only the rows
// found (no gap); an id with no row takes a gap lock that can hold up the
// leader's inserts until commit. That happens only for another producer's
// messages, and avoiding it would cost a round trip (a non-locking read
// first, or READ COMMITTED), so it is accepted.
BatchRecord MysqlTaskStore::RecordBatch(const std::vector<FinishItem>& finish,
                                        const std::vector<const TaskMessage*>& start,
                                        std::string_view worker_id) {
  if (finish.empty() && start.empty()) return {};
  // Finishes first: they lock STARTED rows and then the run row; starts lock
  // QUEUED rows last. A CancelRun locks the run row, then reads all the
  // run's rows (no status index since migration 0012): against a finish
  // that holds some of them, one of the two deadlocks, and RunTransaction
  // runs it again.
  return RunTransaction(session_, [&](Session& s) {
    BatchRecord record;
    record.finished = FinishLocked(s, finish);
    record.started = StartLocked(s, start, worker_id);
    return record;
  });
}

WriteOutcome MysqlTaskStore::FailTask(const TaskId& task, const std::optional<RunId>& run,
                                      int attempt, std::string_view error) {
  const std::string task_id = task.ToString();
  const std::string text = FitText(error, kMaxErrorBytes);
  return RunTransaction(session_, [&](Session& s) {
    // Locked (no row: its gap, so that none appears meanwhile).
    const auto row = LockRow(s, task_id);
    if (row && s.Execute(kFailSql, {text, task_id, Value{attempt}}) == 1) {
      if (const auto& run_id = row->run_id) {
        s.Execute(
            "UPDATE run SET last_activity_at = NOW(6), tasks_failed = tasks_failed + 1 WHERE "
            "run_id = ?",
            {*run_id});
        StartedCounts counts;
        counts.Left(*row);
        counts.Write(s);
        CompleteRunIfDone(s, *run_id);
      }
      return WriteOutcome::kApplied;
    }
    // FAILED by this attempt already: keep the latest error, count nothing.
    if (row && s.Execute(kFailAgainSql, {text, task_id, Value{attempt}}) == 1) {
      return WriteOutcome::kApplied;
    }
    if (row) return NotApplied(*row);
    // No row yet.
    const Value run_value = run ? Value{run->ToString()} : Value{nullptr};
    if (run) EnsureRun(s, run->ToString());
    if (s.Execute(kInsertFailedSql, {run_value, task_id, text}) == 0) {
      return WriteOutcome::kNotOwner;  // inserted meanwhile by another delivery
    }
    if (run) {
      CountUnplanned(s, run->ToString());
      s.Execute(
          "UPDATE run SET last_activity_at = NOW(6), tasks_failed = tasks_failed + 1 WHERE run_id "
          "= ?",
          {run->ToString()});
      CompleteRunIfDone(s, run->ToString());
    }
    return WriteOutcome::kApplied;
  });
}

WriteOutcome MysqlTaskStore::RequeueTask(const TaskId& task, int attempt, std::string_view error) {
  const std::string task_id = task.ToString();
  const std::string text = FitText(error, kMaxErrorBytes);
  return RunTransaction(session_, [&](Session& s) {
    // The run row first, as CancelRun locks it: no lock-order deadlock.
    const auto run_id = RowRunId(s, task_id);
    const auto run_status =
        run_id ? s.QueryString("SELECT status FROM run WHERE run_id = ? FOR UPDATE", {*run_id})
               : std::nullopt;
    const auto row = LockRow(s, task_id);
    if (!row) return WriteOutcome::kEnded;
    // Both writes take a STARTED row of this attempt: no longer its worker's.
    StartedCounts counts;
    counts.Left(*row);
    if (run_status == ToString(RunStatus::kCancelled)) {
      if (s.Execute(kCancelRetrySql, {text, task_id, Value{attempt}}) == 1) {
        s.Execute(
            "UPDATE run SET last_activity_at = NOW(6), tasks_cancelled = tasks_cancelled + 1 WHERE "
            "run_id = ?",
            {*run_id});
        counts.Write(s);
        return WriteOutcome::kApplied;
      }
    } else if (s.Execute(kRequeueSql, {text, task_id, Value{attempt}}) == 1) {
      counts.Write(s);
      return WriteOutcome::kApplied;
    }
    // QUEUED by this attempt: a retried requeue that had gone through.
    if (row->status == TaskStatus::kQueued && row->attempt == attempt) {
      return WriteOutcome::kApplied;
    }
    return NotApplied(*row);
  });
}

std::optional<RunContext> MysqlTaskStore::LoadRunContext(const RunId& run) {
  return SelectRunContext(session_, run.ToString());
}

RunContext MysqlTaskStore::EnsureRunContext(const RunId& run, const RunContext& fallback) {
  if (auto stored = LoadRunContext(run)) return *stored;
  RunContext external = fallback;  // a run of another producer: no job of its own
  external.job_name.clear();
  external.job_sha256.clear();
  // One transaction: another worker sees the context whole or not at all.
  RunTransaction(session_, [&](Session& s) { InsertRunContext(s, run.ToString(), external); });
  auto stored = LoadRunContext(run);
  if (!stored) throw DbError("mysql: run_context of " + run.ToString() + " vanished", true);
  return *stored;
}

}  // namespace dcp::mysql
