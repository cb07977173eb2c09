// dcp: the operator CLI. Wiring only: formatting is in cli/*.cpp, planning
// and publishing in leader/.
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <thread>

#include "amqp/amqp_url.hpp"
#include "amqp/confirm_publisher.hpp"
#include "cli/tables.hpp"
#include "grid/reference_topology.hpp"
#include "grid/workload.hpp"
#include "infra/common_options.hpp"
#include "mysql/driver.hpp"
#include "mysql/mysql_run_store.hpp"
#include "mysql/mysql_url.hpp"
#include "mysql/session.hpp"
#include "planning/leader.hpp"
#include "planning/run_parameters.hpp"
#include "planning/run_publisher.hpp"
#include "ports/errors.hpp"
#include "views/export_csv.hpp"
#include "views/status_report.hpp"
#include "views/view_json.hpp"

namespace {

using namespace dcp;

struct Options {
  CommonSettings common;
  std::string run_text, output, status_filter, topology_file;
  bool json = false, watch = false, allow_overlap = false;
  int stale_after = 30, watch_interval = 2, limit = 20, task_limit = 10000;
  planning::RunParameters parameters;
};

SysSeconds Now() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

amqp::PublisherOptions Publishing(const CommonSettings& common, const char* name) {
  const auto url = amqp::AmqpUrl::Parse(common.amqp_url);
  if (!url) throw ConfigError("--amqp-url: " + url.reason());
  amqp::PublisherOptions publishing;
  publishing.connection.url = *url;
  publishing.connection.name = name;
  publishing.queue =
      amqp::QueueOptions::From(common.queue, common.queue_type, common.delivery_limit);
  return publishing;
}

std::string ReadFile(const std::string& file) {
  std::ifstream in(file);
  if (!in) throw ConfigError("--topology " + file + ": cannot read the file");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

int Status(const Options& o, RunStore& store, const std::optional<RunId>& run) {
  for (;;) {
    const auto summary = run ? store.GetRun(*run) : store.LatestRun();
    if (!summary) {
      std::cerr << "dcp: " << (run ? "no run " + run->ToString() : std::string("no runs yet"))
                << "\n";
      return kExitFailure;
    }
    std::cout << (o.json ? views::StatusJson(*summary, Now()) + "\n"
                         : views::StatusText(*summary, Now()))
              << std::flush;
    if (!o.watch || IsTerminal(summary->status)) return kExitOk;
    // A display refresh, not synchronisation.
    std::this_thread::sleep_for(std::chrono::seconds(o.watch_interval));
    if (!o.json) std::cout << "\n";
  }
}

int Trigger(const Options& o, RunStore& store) {
  const auto tz = TimeZone::Load(o.common.time_zone);
  if (!tz) throw ConfigError("--tz: " + tz.reason());
  auto request = planning::BuildRunRequest(o.parameters, Now(), *tz);
  if (!request) throw ConfigError(request.reason());
  const std::string topology = o.topology_file.empty()
                                   ? std::string(grid::EmbeddedReferenceTopology())
                                   : ReadFile(o.topology_file);
  planning::LeaderSettings settings{
      *tz, RequireOk(grid::WorkloadOf(topology), "--topology"), o.allow_overlap, {}};
  amqp::ConfirmPublisher publisher(Publishing(o.common, "dcp trigger"));
  planning::Leader leader(store, &publisher, std::move(settings));
  const auto outcome = leader.Run(*request);
  if (!outcome) throw ConfigError(outcome.reason());
  if (outcome->status == planning::RunOutcome::Status::kLocked) {
    std::cerr << "dcp: another leader holds the run lock; not starting a run\n";
    return kExitLocked;
  }
  if (outcome->status == planning::RunOutcome::Status::kPreviousRunActive) {
    std::cerr << "dcp: run " << outcome->run->ToString()
              << " is still active; not starting another (--allow-overlap to force)\n";
    return kExitLocked;
  }
  std::cout << outcome->run->ToString() << "\n";
  return kExitOk;
}

int Export(const Options& o, RunStore& store, const RunId& run) {
  std::ofstream file;
  if (!o.output.empty()) {
    file.open(o.output, std::ios::binary);
    if (!file) throw ConfigError("--output " + o.output + ": cannot write");
  }
  std::ostream& out = o.output.empty() ? std::cout : file;
  const auto rows = views::ExportCsv(store, run, grid::ReferenceCsvHeaders(), out);
  out.flush();
  if (!out) throw std::runtime_error("writing the CSV failed");
  std::cerr << "exported " << rows << " task results\n";
  return kExitOk;
}

void AddRunParameters(CLI::App& sub, Options& o) {
  sub.add_option("--from", o.parameters.from, "first day YYYY-MM-DD (default: last month)");
  sub.add_option("--to", o.parameters.to, "last day YYYY-MM-DD, inclusive");
  sub.add_option("--window", o.parameters.window, "month, week, day or Nh")
      ->envname("DCP_WINDOW")
      ->capture_default_str();
  sub.add_option("--selections", o.parameters.selections, "all, or ID,ID,...")
      ->envname("DCP_SELECTIONS")
      ->capture_default_str();
  sub.add_option("--topology", o.topology_file, "topology JSON file (default: embedded grid)")
      ->envname("DCP_TOPOLOGY");
  sub.add_flag("--allow-overlap", o.allow_overlap, "start even if the previous run is active");
}

int Main(int argc, char** argv) {
  Options o;
  CLI::App app{"dcp: operate dcp runs"};
  app.require_subcommand(1);
  app.fallthrough();  // shared options may also follow the subcommand
  AddCommonOptions(app, o.common);
  app.add_option("--stale-after", o.stale_after,
                 "seconds without a heartbeat before a worker counts as silent (its STARTED "
                 "tasks as stale)")
      ->envname("DCP_STALE_AFTER")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  auto* runs = app.add_subcommand("runs", "recent runs, one line each");
  runs->add_option("-n,--limit", o.limit, "how many")->check(CLI::Range(1, 10000));
  auto* status = app.add_subcommand("status", "a run's progress (default: the latest run)");
  status->add_option("RUN_ID", o.run_text, "the run");
  status->add_flag("-w,--watch", o.watch, "refresh until the run ends");
  status->add_option("--interval", o.watch_interval, "--watch: seconds between refreshes")
      ->check(CLI::Range(1, 3600));
  auto* tasks = app.add_subcommand("tasks", "a run's tasks");
  tasks->add_option("RUN_ID", o.run_text, "the run")->required();
  tasks->add_option("--status", o.status_filter, "only tasks in this status (FAILED, ...)");
  tasks->add_option("-n,--limit", o.task_limit, "at most this many")->check(CLI::Range(1, 1000000));
  auto* workers = app.add_subcommand("workers", "workers and their last heartbeat");
  for (auto* sub : {runs, status, tasks, workers})
    sub->add_flag("--json", o.json, "JSON, for scripts");
  auto* trigger = app.add_subcommand("trigger", "start a run now, as the cron would");
  AddRunParameters(*trigger, o);
  auto* cancel = app.add_subcommand("cancel", "cancel a run: its QUEUED tasks are skipped");
  cancel->add_option("RUN_ID", o.run_text, "the run")->required();
  auto* exp = app.add_subcommand("export", "a run's results as one CSV");
  exp->add_option("RUN_ID", o.run_text, "the run")->required();
  exp->add_option("-o,--output", o.output, "file to write (default: stdout)");
  auto* retry =
      app.add_subcommand("retry", "put a run's FAILED tasks back to QUEUED and publish them");
  retry->add_option("RUN_ID", o.run_text, "the run")->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  if (auto logging = InitLogging(o.common.log, "dcp"); !logging)
    throw ConfigError(logging.reason());
  auto url = mysql::MysqlUrl::Parse(o.common.mysql_url);
  if (!url) throw ConfigError("--mysql-url: " + url.reason());
  std::optional<RunId> run;
  if (!o.run_text.empty()) {
    run = RunId::Parse(o.run_text);
    if (!run) throw ConfigError("RUN_ID '" + o.run_text + "': not a UUID");
  }
  std::optional<TaskStatus> filter;
  if (!o.status_filter.empty()) {
    filter = ParseTaskStatus(o.status_filter);
    if (!filter) throw ConfigError("--status '" + o.status_filter + "': not a task status");
  }
  mysql::InitDriver();
  mysql::Session session(*url);
  const std::chrono::seconds stale_after(o.stale_after);
  mysql::MysqlRunStore store(session, stale_after);

  if (status->parsed()) return Status(o, store, run);
  if (trigger->parsed()) return Trigger(o, store);
  if (runs->parsed()) {
    const auto list = store.ListRuns(static_cast<std::size_t>(o.limit));
    if (!o.json) {
      std::cout << cli::RunsTable(list, Now());
      return kExitOk;
    }
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : list) out.push_back(views::RunJson(r, Now()));
    std::cout << out.dump() << "\n";
    return kExitOk;
  }
  if (workers->parsed()) {
    const auto list = store.ListWorkers();
    if (!o.json) {
      std::cout << cli::WorkersTable(list, Now(), stale_after);
      return kExitOk;
    }
    nlohmann::json out = nlohmann::json::array();
    for (const auto& w : list) out.push_back(views::WorkerJson(w, Now(), stale_after));
    std::cout << out.dump() << "\n";
    return kExitOk;
  }
  if (!store.GetRun(*run)) {
    std::cerr << "dcp: no run " << run->ToString() << "\n";
    return kExitFailure;
  }
  if (tasks->parsed()) {
    const auto list = store.ListTasks(*run, filter, static_cast<std::size_t>(o.task_limit));
    if (!o.json) {
      std::cout << cli::TasksTable(list);
      return kExitOk;
    }
    nlohmann::json out = nlohmann::json::array();
    for (const auto& t : list) out.push_back(views::TaskJson(t));
    std::cout << out.dump() << "\n";
    return kExitOk;
  }
  if (cancel->parsed()) {
    const auto result = store.CancelRun(*run);
    if (result.status != CancelResult::Status::kCancelled) {
      std::cerr << "dcp: run " << run->ToString() << " has already ended\n";
      return kExitFailure;
    }
    std::cout << "run " << run->ToString() << " cancelled, " << result.tasks_cancelled
              << " QUEUED tasks cancelled\n";
    return kExitOk;
  }
  if (retry->parsed()) {
    if (store.GetRun(*run)->status == RunStatus::kCancelled) {
      std::cerr << "dcp: run " << run->ToString() << " was cancelled; trigger a new run\n";
      return kExitFailure;
    }
    amqp::ConfirmPublisher publisher(Publishing(o.common, "dcp retry"));  // connect first
    const auto requeued = store.RequeueFailed(*run);
    const auto published = planning::RunPublisher(store, publisher, {}).Resume(*run);
    std::cout << requeued.size() << " FAILED tasks requeued, " << published << " published\n";
    return kExitOk;
  }
  return Export(o, store, *run);
}

}  // namespace

int main(int argc, char** argv) {
  return dcp::GuardedMain("dcp", [&] { return Main(argc, argv); });
}
