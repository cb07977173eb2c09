// dcp: the operator CLI. Wiring only: the configuration is cli_config.hpp,
// formatting cli/tables.hpp and views/, planning and publishing planning/,
// the dead-letter commands cli/dead_commands.hpp, retention cli/purge_command.hpp.
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "amqp/confirm_publisher.hpp"
#include "amqp/connection.hpp"
#include "amqp/queue_topology.hpp"
#include "cli/cli_config.hpp"
#include "cli/dead_commands.hpp"
#include "cli/purge_command.hpp"
#include "cli/tables.hpp"
#include "grid/workload.hpp"
#include "infra/common_options.hpp"
#include "mysql/driver.hpp"
#include "mysql/mysql_retention_store.hpp"
#include "mysql/mysql_run_store.hpp"
#include "mysql/session.hpp"
#include "planning/leader.hpp"
#include "planning/run_publisher.hpp"
#include "planning/run_trigger.hpp"
#include "ports/errors.hpp"
#include "runtime/failpoint.hpp"
#include "views/export_csv.hpp"
#include "views/status_report.hpp"
#include "views/view_json.hpp"

namespace {

using namespace dcp;
using cli::CliConfig;

SysSeconds Now() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

amqp::PublisherOptions Publishing(const CliConfig& c, const char* name) {
  amqp::PublisherOptions publishing;
  publishing.connection.nodes = c.amqp_url;
  publishing.connection.name = name;
  publishing.queue = c.queue;
  return publishing;
}

// `rows` as a table, or with --json as one JSON array of `json(row)`.
template <class Rows, class Table, class Json>
int Print(const CliConfig& c, const Rows& rows, Table table, Json json) {
  if (!c.json) {
    std::cout << table(rows);
    return kExitOk;
  }
  nlohmann::json out = nlohmann::json::array();
  for (const auto& row : rows) out.push_back(json(row));
  std::cout << out.dump() << "\n";
  return kExitOk;
}

int Status(const CliConfig& c, RunStore& store) {
  for (;;) {
    const auto summary = c.run ? store.GetRun(*c.run) : store.LatestRun();
    if (!summary) {
      std::cerr << "dcp: " << (c.run ? "no run " + c.run->ToString() : std::string("no runs yet"))
                << "\n";
      return kExitFailure;
    }
    std::cout << (c.json ? views::StatusJson(*summary, Now()) + "\n"
                         : views::StatusText(*summary, Now()))
              << std::flush;
    if (!c.watch || IsTerminal(summary->status)) return kExitOk;
    // A display refresh, not synchronisation.
    std::this_thread::sleep_for(c.watch_interval);
    if (!c.json) std::cout << "\n";
  }
}

int Trigger(const CliConfig& c, RunStore& store) {
  amqp::ConfirmPublisher publisher(Publishing(c, "dcp trigger"));
  planning::LeaderSettings settings = planning::JobLeaderSettings(
      c.job, c.limits, [&c] { return Result<Workload>(c.workload); }, c.time_zone);
  settings.allow_overlap = c.allow_overlap;
  planning::Leader leader(store, &publisher, std::move(settings));
  const auto outcome = planning::TriggerRun(leader, c.parameters, Now(), c.time_zone);
  if (!outcome) throw ConfigError(outcome.reason());
  if (outcome->status != planning::RunOutcome::Status::kPublished) {
    std::cerr << "dcp: " << planning::NotStartedMessage(*outcome) << "\n";
    return planning::TriggerExitCode(*outcome);
  }
  std::cout << outcome->run->ToString() << "\n";
  return kExitOk;
}

int Export(const CliConfig& c, RunStore& store, const RunId& run) {
  std::ofstream file;
  if (!c.output.empty()) {
    file.open(c.output, std::ios::binary);
    if (!file) throw ConfigError("--output " + c.output + ": cannot write");
  }
  std::ostream& out = c.output.empty() ? std::cout : file;
  const auto rows = views::ExportCsv(store, run, grid::ReferenceCsvHeaders(), out);
  out.flush();
  if (!out) throw std::runtime_error("writing the CSV failed");
  std::cerr << "exported " << rows << " task results\n";
  return kExitOk;
}

// The job's export command again, by a process given the job (the store's
// claim), not by this one: the team's code is in the workers' image.
int RerunExport(const CliConfig& c, RunStore& store, const RunId& run) {
  switch (store.RequestExport(run)) {
    case ExportRequest::kRequested:
      break;
    case ExportRequest::kNoExport:
      std::cerr << "dcp: run " << run.ToString()
                << " has no export command (its job has none): `dcp export` writes its CSV\n";
      return kExitFailure;
    case ExportRequest::kNotEnded:
      std::cerr << "dcp: run " << run.ToString()
                << " has not ended: its export runs when it does\n";
      return kExitFailure;
    case ExportRequest::kCancelled:
      std::cerr << "dcp: run " << run.ToString() << " was cancelled: it is not exported\n";
      return kExitFailure;
    case ExportRequest::kRunning:
      std::cerr << "dcp: the export of run " << run.ToString()
                << " is RUNNING (if its process died, another takes it over after the lease)\n";
      return kExitLocked;
    case ExportRequest::kNotFound:
      std::cerr << "dcp: no run " << run.ToString() << "\n";
      return kExitFailure;
  }
  std::cout << "export of run " << run.ToString() << " requested: a worker given its job runs it\n";
  if (!c.wait) return kExitOk;
  for (;;) {
    const auto summary = store.GetRun(run);
    const auto& state = summary->export_state;
    if (state->status == ExportStatus::kFinished) {
      std::cout << "export FINISHED (attempt " << state->attempt << ")\n";
      return kExitOk;
    }
    if (state->status == ExportStatus::kFailed) {
      std::cerr << "dcp: export FAILED (attempt " << state->attempt << "): " << state->error
                << "\n";
      return kExitJobStep;
    }
    // A display refresh, not synchronisation.
    std::this_thread::sleep_for(c.watch_interval);
  }
}

int Cancel(RunStore& store, const RunId& run) {
  const auto result = store.CancelRun(run);
  if (result.status != CancelResult::Status::kCancelled) {
    std::cerr << "dcp: run " << run.ToString() << " has already ended\n";
    return kExitFailure;
  }
  std::cout << "run " << run.ToString() << " cancelled, " << result.tasks_cancelled
            << " QUEUED tasks cancelled\n";
  return kExitOk;
}

int Retry(const CliConfig& c, RunStore& store, const RunId& run) {
  if (store.GetRun(run)->status == RunStatus::kCancelled) {
    std::cerr << "dcp: run " << run.ToString() << " was cancelled; trigger a new run\n";
    return kExitFailure;
  }
  amqp::ConfirmPublisher publisher(Publishing(c, "dcp retry"));  // connect first
  const auto requeued = store.RequeueFailed(run);
  const auto published = planning::RunPublisher(store, publisher, {}).Resume(run);
  std::cout << requeued.size() << " FAILED tasks requeued, " << published << " published\n";
  return kExitOk;
}

// The commands about one run (tasks, cancel, export, retry).
int OnRun(const CliConfig& c, RunStore& store, const RunId& run) {
  if (!store.GetRun(run)) {
    std::cerr << "dcp: no run " << run.ToString() << "\n";
    return kExitFailure;
  }
  switch (c.command) {
    case cli::CliCommand::kTasks:
      return Print(c, store.ListTasks(run, c.status_filter, c.task_limit, 0), cli::TasksTable,
                   views::TaskJson);
    case cli::CliCommand::kCancel:
      return Cancel(store, run);
    case cli::CliCommand::kRetry:
      return Retry(c, store, run);
    default:
      return c.rerun_export ? RerunExport(c, store, run) : Export(c, store, run);
  }
}

// dcp queues migrate: amqp::MigrateTaskQueues, saying what it changed.
int QueuesMigrate(const CliConfig& c) {
  amqp::ConnectionOptions options;
  options.nodes = c.amqp_url;
  options.name = "dcp queues migrate";
  amqp::Connection connection(options);
  const std::vector<std::string> done = amqp::MigrateTaskQueues(connection, c.queue);
  if (done.empty()) std::cout << "the queues of '" << c.queue.name << "' are up to date\n";
  for (const std::string& line : done) std::cout << line << "\n";
  return 0;
}

int Main(int argc, char** argv) {
  const auto loaded = cli::LoadCliConfig(argc, argv);
  if (!loaded) throw ConfigError(loaded.reason());
  const CliConfig& c = *loaded;
  if (c.exit_now) return *c.exit_now;
  if (auto logging = InitLogging(c.log, "dcp"); !logging) throw ConfigError(logging.reason());
  failpoint::Arm(c.failpoints);  // tests only: the hidden --test-* flags
  mysql::InitDriver();
  mysql::Session session(c.mysql_url);
  mysql::MysqlRunStore store(session, c.stale_after);
  switch (c.command) {
    case cli::CliCommand::kStatus:
      return Status(c, store);
    case cli::CliCommand::kTrigger:
      return Trigger(c, store);
    case cli::CliCommand::kRuns:
      return Print(
          c, store.ListRuns(c.limit), [](const auto& rows) { return cli::RunsTable(rows, Now()); },
          [](const RunSummary& r) { return views::RunJson(r, Now()); });
    case cli::CliCommand::kWorkers:
      return Print(
          c, store.ListWorkers(std::nullopt, 10000),
          [&c](const auto& rows) { return cli::WorkersTable(rows, Now(), c.stale_after); },
          [&c](const WorkerView& w) { return views::WorkerJson(w, Now(), c.stale_after); });
    case cli::CliCommand::kDeadList:
      return cli::DeadList(c, store, std::cout, std::cerr);
    case cli::CliCommand::kDeadReplay:
      return cli::DeadReplay(c, store, std::cout, std::cerr);
    case cli::CliCommand::kQueuesMigrate:
      return QueuesMigrate(c);
    case cli::CliCommand::kPurge: {
      mysql::MysqlRetentionStore retention(session);
      return cli::PurgeCommand(c, retention, std::cout, std::cerr);
    }
    default:
      return OnRun(c, store, *c.run);
  }
}

}  // namespace

int main(int argc, char** argv) {
  return dcp::GuardedMain("dcp", [&] { return Main(argc, argv); });
}
