// MysqlRunStore's export side: a run's tasks in the workload's order
// (RunResults), and the claims of the export step (ExportClaims).
#include <string>

#include "mysql/mysql_run_store.hpp"
#include "mysql/transaction.hpp"
#include "ports/errors.hpp"
#include "run_rows.hpp"
#include "sql_codec.hpp"
#include "status_sql.hpp"
#include "task_keys.hpp"

namespace dcp::mysql {
namespace {

const std::string kExportable = RunStatusIn(std::vector{RunStatus::kFinished, RunStatus::kFailed});
// An export that is due: PENDING, or RUNNING under a claim older than the
// lease (parameter): its claimer died.
const std::string kExportDue = kExportable +
                               " AND (export_status = " + Quoted(ExportStatus::kPending) +
                               " OR (export_status = " + Quoted(ExportStatus::kRunning) +
                               " AND export_claimed_at < NOW(6) - INTERVAL ? SECOND))";
const std::string kClaimExportSql =
    "UPDATE run SET export_status = " + Quoted(ExportStatus::kRunning) +
    ", export_attempt = export_attempt + 1, export_claimed_at = "
    "NOW(6), export_finished_at = NULL WHERE run_id = ? AND " +
    kExportDue;
const std::string kExportEndedSql =
    "UPDATE run SET export_status = ?, export_finished_at = "
    "NOW(6), export_error = ? WHERE run_id = ? AND export_status = " +
    Quoted(ExportStatus::kRunning) + " AND export_attempt = ?";

// "((job_name = ? AND job_sha256 = ?) OR ...)" for `n` jobs.
std::string JobsIn(std::size_t n) {
  std::string text = "(";
  for (std::size_t i = 0; i < n; ++i) {
    text += i == 0 ? "(job_name = ? AND job_sha256 = ?)" : " OR (job_name = ? AND job_sha256 = ?)";
  }
  return text + ")";
}

}  // namespace

void MysqlRunStore::ForEachTask(const RunId& run, const TaskVisitor& task) {
  const std::string run_id = run.ToString();
  const auto selections =
      session_.QueryInt("SELECT selection_count FROM run WHERE run_id = ?", {run_id});
  // Tasks are planned window-major (seq = window * S + selection + 1): the
  // workload's order is (seq - 1) mod S, then the window's start.
  const std::string order =
      selections && *selections > 0
          ? "MOD(p.seq - 1, " + std::to_string(*selections) + "), p.start_date, p.task_id"
          : std::string("p.selection, p.start_date, p.task_id");
  session_.Stream(
      "SELECT task_id, selection, start_date, end_date, task_status, computation, result, error, "
      "params FROM run_process p WHERE run_key = " +
          std::string(kIdKey) + " ORDER BY " + order,
      {run_id}, [&](const Row& r) {
        TaskOutcome t;
        t.id = ParseTaskIdColumn(r.String(0));
        t.selection = r.OptString(1).value_or("");
        t.start = ParseSqlLocalMinute(r.String(2));
        t.end = ParseSqlLocalMinute(r.String(3));
        const std::string status = r.String(4);
        const auto parsed = ParseTaskStatus(status);
        if (!parsed) throw DbError("mysql: unexpected task status '" + status + "'", false);
        t.status = *parsed;
        t.computation = r.OptString(5).value_or("");
        t.result = r.OptString(6);
        t.error = r.OptString(7).value_or("");
        t.params = r.OptString(8).value_or("");
        task(t);
      });
}

std::optional<ExportClaim> MysqlRunStore::ClaimExport(const std::vector<JobVersion>& jobs,
                                                      std::chrono::seconds lease,
                                                      const std::optional<RunId>& only) {
  if (jobs.empty()) return std::nullopt;
  const Value lease_seconds{static_cast<std::int64_t>(lease.count())};
  std::vector<Value> params;
  for (const JobVersion& job : jobs) params.insert(params.end(), {job.name, job.sha256});
  params.push_back(lease_seconds);
  if (only) params.emplace_back(only->ToString());
  std::vector<std::string> due;
  session_.Query("SELECT run_id FROM run WHERE " + JobsIn(jobs.size()) + " AND " + kExportDue +
                     (only ? " AND run_id = ?" : " AND trigger_kind <> 'local'") +
                     " ORDER BY finished_at, id LIMIT 16",
                 params, [&](const Row& r) { due.push_back(r.String(0)); });
  for (const std::string& run_id : due) {
    // Of concurrent claimers, the row lock lets one UPDATE match.
    if (session_.Execute(kClaimExportSql, {run_id, lease_seconds}) != 1) continue;
    std::optional<ExportClaim> claim;
    session_.Query("SELECT job_name, export_attempt, status FROM run WHERE run_id = ?", {run_id},
                   [&](const Row& r) {
                     claim =
                         ExportClaim{ParseRunIdColumn(run_id), r.String(0),
                                     static_cast<int>(r.Int(1)), ParseRunStatusColumn(r.String(2))};
                   });
    if (claim) return claim;
  }
  return std::nullopt;
}

void MysqlRunStore::ExportEnded(const ExportClaim& claim, bool ok, const std::string& error) {
  session_.Execute(kExportEndedSql,
                   {std::string(ToString(ok ? ExportStatus::kFinished : ExportStatus::kFailed)),
                    ok ? Value{nullptr} : Value{FitText(error, kMaxErrorBytes)},
                    claim.run.ToString(), Value{static_cast<std::int64_t>(claim.attempt)}});
}

ExportRequest MysqlRunStore::RequestExport(const RunId& run) {
  const std::string run_id = run.ToString();
  return RunTransaction(session_, [&](Session& s) {
    std::optional<ExportRequest> refused;
    bool found = false;
    s.Query("SELECT status, export_status FROM run WHERE run_id = ? FOR UPDATE", {run_id},
            [&](const Row& r) {
              found = true;
              const RunStatus status = ParseRunStatusColumn(r.String(0));
              const auto export_status = r.OptString(1);
              if (status == RunStatus::kCancelled) {
                refused = ExportRequest::kCancelled;
              } else if (!export_status) {
                refused = ExportRequest::kNoExport;
              } else if (!IsTerminal(status)) {
                refused = ExportRequest::kNotEnded;
              } else if (*export_status == ToString(ExportStatus::kRunning)) {
                refused = ExportRequest::kRunning;
              }
            });
    if (!found) return ExportRequest::kNotFound;
    if (refused) return *refused;
    s.Execute("UPDATE run SET export_status = " + Quoted(ExportStatus::kPending) +
                  ", export_error = NULL, export_finished_at = NULL WHERE run_id = ?",
              {run_id});
    return ExportRequest::kRequested;
  });
}

}  // namespace dcp::mysql
