#include "mysql/mysql_task_store.hpp"

#include "mysql/run_completion.hpp"
#include "mysql/sql_codec.hpp"
#include "mysql/transaction.hpp"
#include "ports/errors.hpp"

namespace dcp::mysql {
namespace {

constexpr std::size_t kMaxWorkerBytes = 255;      // worker VARCHAR(255)
constexpr std::size_t kMaxErrorBytes = 8192;      // error TEXT holds 65535; keep rows small
constexpr std::size_t kMaxComputationBytes = 32;  // computation VARCHAR(32)
// StartTask re-reads the row this often when it keeps changing under it.
constexpr int kStartRounds = 4;

// Sets STARTED with the next attempt, remembered by LAST_INSERT_ID() on this
// connection so that the attempt read back is this start's.
constexpr const char* kStartSet =
    "UPDATE run_process SET task_status = 'STARTED', attempt = LAST_INSERT_ID(attempt + 1), "
    "worker = ?, started_at = NOW(6), finished_at = NULL, error = NULL WHERE task_id = ? ";

// attempt is an INT column.
int StartedAttempt(Session& s) {
  return static_cast<int>(s.QueryInt("SELECT LAST_INSERT_ID()").value_or(0));
}

void EnsureRun(Session& s, const std::string& run_id) {
  s.Execute(
      "INSERT IGNORE INTO run (run_id, trigger_kind, status, created_at) "
      "VALUES (?, 'external', 'RUNNING', NOW(6))",
      {run_id});
}

// After inserting a task row the run did not plan.
void CountUnplanned(Session& s, const std::string& run_id) {
  s.Execute(
      "UPDATE run SET task_count = task_count + 1 WHERE run_id = ? AND task_count IS NOT NULL",
      {run_id});
}

// The run_id recorded on the task's row (which counts it), if any.
std::optional<std::string> RowRunId(Session& s, const std::string& task_id) {
  return s.QueryString("SELECT run_id FROM run_process WHERE task_id = ?", {task_id});
}

}  // namespace

StartResult MysqlTaskStore::StartTask(const TaskMessage& task, std::string_view worker_id) {
  const std::string task_id = task.task_id.ToString();
  const std::string worker = FitText(worker_id, kMaxWorkerBytes);
  for (int round = 0; round < kStartRounds; ++round) {
    if (session_.Execute(std::string(kStartSet) + "AND task_status IN ('QUEUED', 'STARTED')",
                         {worker, task_id}) == 1) {
      return {StartOutcome::kStarted, StartedAttempt(session_)};
    }
    std::optional<std::string> status;
    int attempt = 0;
    session_.Query("SELECT task_status, attempt FROM run_process WHERE task_id = ?", {task_id},
                   [&](const Row& r) {
                     status = r.String(0);
                     attempt = static_cast<int>(r.Int(1));
                   });
    if (!status) {
      InsertUnplannedTask(task);
    } else if (*status == "FINISHED") {
      return {StartOutcome::kAlreadyFinished, attempt};
    } else if (*status == "CANCELLED") {
      return {StartOutcome::kCancelled, attempt};
    } else if (*status == "FAILED") {
      if (auto started = RestartFailed(task_id, worker)) return *started;
    }
  }
  throw DbError("mysql: task " + task_id + " kept changing state while being started", true);
}

std::optional<StartResult> MysqlTaskStore::RestartFailed(const std::string& task_id,
                                                         const std::string& worker) {
  return RunTransaction(session_, [&](Session& s) -> std::optional<StartResult> {
    std::optional<std::string> status;
    std::optional<std::string> run_id;
    int attempt = 0;
    s.Query("SELECT task_status, run_id, attempt FROM run_process WHERE task_id = ? FOR UPDATE",
            {task_id}, [&](const Row& r) {
              status = r.String(0);
              run_id = r.OptString(1);
              attempt = static_cast<int>(r.Int(2));
            });
    if (status != "FAILED") return std::nullopt;  // moved meanwhile: look again
    if (!run_id) return StartResult{StartOutcome::kAlreadyFinished, attempt};
    const auto run_status =
        s.QueryString("SELECT status FROM run WHERE run_id = ? FOR UPDATE", {*run_id});
    if (run_status == "FINISHED" || run_status == "FAILED") {
      return StartResult{StartOutcome::kAlreadyFinished, attempt};
    }
    if (run_status == "CANCELLED") return StartResult{StartOutcome::kCancelled, attempt};
    s.Execute(std::string(kStartSet) + "AND task_status = 'FAILED'", {worker, task_id});
    const int started = StartedAttempt(s);
    s.Execute("UPDATE run SET tasks_failed = tasks_failed - 1 WHERE run_id = ?", {*run_id});
    return StartResult{StartOutcome::kStarted, started};
  });
}

void MysqlTaskStore::InsertUnplannedTask(const TaskMessage& task) {
  const std::string run_id = task.run_id.ToString();
  RunTransaction(session_, [&](Session& s) {
    EnsureRun(s, run_id);
    if (s.Execute("INSERT IGNORE INTO run_process (run_id, task_id, task_status, selection, "
                  "start_date, end_date, queued_at) VALUES (?, ?, 'QUEUED', ?, ?, ?, NOW(6))",
                  {run_id, task.task_id.ToString(), task.selection, ToSqlDateTime(task.start),
                   ToSqlDateTime(task.end)}) == 1) {
      CountUnplanned(s, run_id);
    }
  });
}

bool MysqlTaskStore::FinishTask(const TaskMessage& task, const TaskResult& result) {
  const std::string task_id = task.task_id.ToString();
  return RunTransaction(session_, [&](Session& s) {
    if (s.Execute("UPDATE run_process SET task_status = 'FINISHED', finished_at = NOW(6), "
                  "error = NULL WHERE task_id = ? AND task_status = 'STARTED'",
                  {task_id}) == 0) {
      return false;
    }
    const std::string run_id = RowRunId(s, task_id).value_or(task.run_id.ToString());
    s.Execute(
        "REPLACE INTO task_result (task_id, run_id, computation, body, created_at) "
        "VALUES (?, ?, ?, ?, NOW(6))",
        {task_id, run_id, FitText(result.computation, kMaxComputationBytes), result.body});
    s.Execute("UPDATE run SET tasks_finished = tasks_finished + 1 WHERE run_id = ?", {run_id});
    CompleteRunIfDone(s, run_id);
    return true;
  });
}

void MysqlTaskStore::FailTask(const TaskId& task, const std::optional<RunId>& run,
                              std::string_view error) {
  const std::string task_id = task.ToString();
  const std::string text = FitText(error, kMaxErrorBytes);
  RunTransaction(session_, [&](Session& s) {
    if (s.Execute("UPDATE run_process SET task_status = 'FAILED', error = ?, finished_at = NOW(6) "
                  "WHERE task_id = ? AND task_status IN ('QUEUED', 'STARTED')",
                  {text, task_id}) == 1) {
      if (auto run_id = RowRunId(s, task_id)) {
        s.Execute("UPDATE run SET tasks_failed = tasks_failed + 1 WHERE run_id = ?", {*run_id});
        CompleteRunIfDone(s, *run_id);
      }
      return;
    }
    // Already FAILED: keep the latest error, count nothing.
    if (s.Execute("UPDATE run_process SET error = ? WHERE task_id = ? AND task_status = 'FAILED'",
                  {text, task_id}) == 1) {
      return;
    }
    // No row yet (a FINISHED row makes the insert a no-op).
    const Value run_value = run ? Value{run->ToString()} : Value{nullptr};
    if (run) EnsureRun(s, run->ToString());
    if (s.Execute("INSERT IGNORE INTO run_process (run_id, task_id, task_status, error, "
                  "finished_at) VALUES (?, ?, 'FAILED', ?, NOW(6))",
                  {run_value, task_id, text}) == 1 &&
        run) {
      CountUnplanned(s, run->ToString());
      s.Execute("UPDATE run SET tasks_failed = tasks_failed + 1 WHERE run_id = ?",
                {run->ToString()});
      CompleteRunIfDone(s, run->ToString());
    }
  });
}

void MysqlTaskStore::RequeueTask(const TaskId& task, std::string_view error) {
  const std::string task_id = task.ToString();
  const std::string text = FitText(error, kMaxErrorBytes);
  RunTransaction(session_, [&](Session& s) {
    // The run row first, as CancelRun locks it: no lock-order deadlock.
    const auto run_id = RowRunId(s, task_id);
    const auto run_status =
        run_id ? s.QueryString("SELECT status FROM run WHERE run_id = ? FOR UPDATE", {*run_id})
               : std::nullopt;
    if (run_status == "CANCELLED") {
      if (s.Execute("UPDATE run_process SET task_status = 'CANCELLED', error = ?, "
                    "finished_at = NOW(6) WHERE task_id = ? AND task_status = 'STARTED'",
                    {text, task_id}) == 1) {
        s.Execute("UPDATE run SET tasks_cancelled = tasks_cancelled + 1 WHERE run_id = ?",
                  {*run_id});
      }
      return;
    }
    s.Execute(
        "UPDATE run_process SET task_status = 'QUEUED', error = ?, queued_at = NOW(6) "
        "WHERE task_id = ? AND task_status = 'STARTED'",
        {text, task_id});
  });
}

std::optional<RunContext> MysqlTaskStore::LoadRunContext(const RunId& run) {
  std::optional<RunContext> context;
  session_.Query("SELECT time_zone, topology FROM run_context WHERE run_id = ?", {run.ToString()},
                 [&](const Row& r) {
                   context = RunContext{r.String(0), r.String(1)};
                 });
  return context;
}

RunContext MysqlTaskStore::EnsureRunContext(const RunId& run, const RunContext& fallback) {
  if (auto stored = LoadRunContext(run)) return *stored;
  session_.Execute("INSERT IGNORE INTO run_context (run_id, time_zone, topology) VALUES (?, ?, ?)",
                   {run.ToString(), fallback.time_zone, fallback.topology_json});
  auto stored = LoadRunContext(run);
  if (!stored) throw DbError("mysql: run_context of " + run.ToString() + " vanished", true);
  return *stored;
}

}  // namespace dcp::mysql
