#include "mysql/mysql_retention_store.hpp"

#include <array>
#include <string>

#include "mysql/transaction.hpp"
#include "status_sql.hpp"
#include "task_keys.hpp"

namespace dcp::mysql {
namespace {

// The last sign of life of a run: its creation, publication, end, or the
// last counter change of one of its tasks (migration 0010).
constexpr std::string_view kLastActive =
    "GREATEST(created_at, COALESCE(published_at, created_at), COALESCE(finished_at, created_at), "
    "COALESCE(last_activity_at, created_at))";
// Expired for the age given as the one parameter: quiet for that long, and
// ended, or of another producer (which never ends). An active run of dcp is
// never expired, however old: cancel it first.
const std::string kExpired =
    std::string("(") + std::string(kLastActive) + " < NOW(6) - INTERVAL ? SECOND AND (" +
    RunStatusIn(std::vector{RunStatus::kFinished, RunStatus::kFailed, RunStatus::kCancelled}) +
    " OR trigger_kind = 'external'))";
// created_at < cutoff first: the range of ix_run_created_at, the expired
// condition on those rows only.
const std::string kExpiredRunsSql =
    "SELECT run_id, job_name, status, DATE_FORMAT(" + std::string(kLastActive) +
    ", '%Y-%m-%d %H:%i:%s') FROM run WHERE created_at < NOW(6) - INTERVAL ? SECOND AND " +
    kExpired + " ORDER BY created_at, id LIMIT ?";
const std::string kStillExpiredSql = "SELECT " + kExpired + " FROM run WHERE run_id = ? FOR UPDATE";
// The tables holding a run's rows, deleted in this order, and how each
// finds them (run_process by its key, task_keys.hpp); the run's own row
// after them. A task's result is in its row.
struct RunTable {
  std::string_view name;
  std::string_view of_run;
};
const std::string kOfRunKey = "run_key = " + std::string(kIdKey);
const std::array<RunTable, 5> kRunTables = {
    RunTable{"run_process", kOfRunKey}, RunTable{"run_topology_chunk", "run_id = ?"},
    RunTable{"run_context", "run_id = ?"}, RunTable{"run_job", "run_id = ?"},
    RunTable{"run_worker", "run_id = ?"}};
constexpr std::string_view kOrphans =
    "FROM run_process WHERE run_key IS NULL AND finished_at < NOW(6) - INTERVAL ? SECOND";

Value Seconds(std::chrono::seconds age) { return Value{static_cast<std::int64_t>(age.count())}; }
Value Count(std::size_t n) { return Value{static_cast<std::int64_t>(n)}; }

}  // namespace

MysqlRetentionStore::MysqlRetentionStore(Session& session, std::chrono::milliseconds lease)
    : session_(session), lock_(session, "purge", lease) {}

MysqlRetentionStore::~MysqlRetentionStore() { keeper_.reset(); }

bool MysqlRetentionStore::ClaimPurge() {
  if (!lock_.Acquire(std::chrono::milliseconds(0))) return false;
  keeper_ = std::make_unique<LeaseKeeper>(lock_, session_.NodesFromCurrent());
  return true;
}

bool MysqlRetentionStore::PurgeClaimHeld() { return lock_.held(); }

void MysqlRetentionStore::ReleasePurge() {
  keeper_.reset();  // before Release: the keeper's renewals must have ended
  lock_.Release();
}

std::vector<ExpiredRun> MysqlRetentionStore::ExpiredRuns(std::chrono::seconds age,
                                                         std::size_t limit) {
  std::vector<ExpiredRun> runs;
  session_.Query(kExpiredRunsSql, {Seconds(age), Seconds(age), Count(limit)}, [&](const Row& r) {
    const auto run = RunId::Parse(r.String(0));
    if (!run) return;  // not a UUID: no run of dcp's, nor of a producer it accepted
    runs.push_back(ExpiredRun{*run, r.String(1), r.String(2), r.String(3)});
  });
  return runs;
}

std::uint64_t MysqlRetentionStore::CountRows(const RunId& run) {
  std::uint64_t rows = 1;  // the run's own
  for (const RunTable& table : kRunTables) {
    rows +=
        static_cast<std::uint64_t>(session_
                                       .QueryInt("SELECT COUNT(*) FROM " + std::string(table.name) +
                                                     " WHERE " + std::string(table.of_run),
                                                 {run.ToString()})
                                       .value_or(0));
  }
  return rows;
}

PurgeBatch MysqlRetentionStore::DeleteBatch(const RunId& run, std::chrono::seconds age,
                                            std::size_t batch) {
  const std::string run_id = run.ToString();
  return RunTransaction(session_, [&](Session& s) {
    PurgeBatch done;
    const auto expired = s.QueryInt(kStillExpiredSql, {Seconds(age), run_id});
    if (!expired) {  // no row: purged already
      done.run_gone = true;
      return done;
    }
    if (*expired == 0) {
      done.kept = true;
      return done;
    }
    for (const RunTable& table : kRunTables) {
      done.rows = s.Execute("DELETE FROM " + std::string(table.name) + " WHERE " +
                                std::string(table.of_run) + " LIMIT ?",
                            {run_id, Count(batch)});
      if (done.rows > 0) return done;
    }
    done.rows = s.Execute("DELETE FROM run WHERE run_id = ?", {run_id});
    done.run_gone = true;
    return done;
  });
}

std::size_t MysqlRetentionStore::DeleteOrphans(std::chrono::seconds age, std::size_t batch) {
  return RunTransaction(session_, [&](Session& s) {
    return static_cast<std::size_t>(
        s.Execute("DELETE " + std::string(kOrphans) + " LIMIT ?", {Seconds(age), Count(batch)}));
  });
}

std::uint64_t MysqlRetentionStore::CountOrphans(std::chrono::seconds age) {
  return static_cast<std::uint64_t>(
      session_.QueryInt("SELECT COUNT(*) " + std::string(kOrphans), {Seconds(age)}).value_or(0));
}

}  // namespace dcp::mysql
