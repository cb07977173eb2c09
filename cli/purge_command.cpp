#include "cli/purge_command.hpp"

#include <nlohmann/json.hpp>

#include "cli/tables.hpp"
#include "infra/common_options.hpp"
#include "retention/purge.hpp"

namespace dcp::cli {
namespace {

using retention::PurgeReport;

const char* StatusName(PurgeReport::Status status) {
  switch (status) {
    case PurgeReport::Status::kDone:
      return "done";
    case PurgeReport::Status::kDeadline:
      return "deadline";
    case PurgeReport::Status::kLocked:
      return "locked";
    case PurgeReport::Status::kLockLost:
      return "lock_lost";
  }
  return "done";
}

std::string ReportJson(const PurgeReport& report, bool dry_run) {
  nlohmann::json runs = nlohmann::json::array();
  for (const ExpiredRun& run : report.runs) {
    runs.push_back({{"run_id", run.run.ToString()},
                    {"job", run.job},
                    {"status", run.status},
                    {"last_active", run.last_active}});
  }
  return nlohmann::json{{"status", StatusName(report.status)},
                        {"dry_run", dry_run},
                        {"runs", runs},
                        {"rows", report.rows},
                        {"orphan_rows", report.orphans},
                        {"kept", report.kept}}
      .dump();
}

}  // namespace

int PurgeCommand(const CliConfig& c, RetentionStore& store, std::ostream& out, std::ostream& note) {
  const PurgeReport report = retention::Purge(store, c.purge);
  const bool dry = c.purge.dry_run;
  if (c.json) {
    out << ReportJson(report, dry) << "\n";
  } else if (!report.runs.empty()) {
    out << PurgeTable(report.runs);
  }
  switch (report.status) {
    case PurgeReport::Status::kLocked:
      note << "dcp: another process is purging now (the lock 'purge'): nothing done\n";
      return kExitLocked;
    case PurgeReport::Status::kLockLost:
      note << "dcp: the purge lock was lost: stopped after " << report.runs.size() << " runs, "
           << report.rows << " rows (run it again to go on)\n";
      return kExitLockLost;
    default:
      break;
  }
  note << (dry ? "would purge " : "purged ") << report.runs.size() << " runs, " << report.rows
       << " rows (" << report.orphans << " of them task rows of no run)";
  if (report.kept > 0) note << "; " << report.kept << " runs active again, left alone";
  note << "\n";
  return kExitOk;
}

}  // namespace dcp::cli
