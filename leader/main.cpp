// dcp-leader: plans runs and publishes them (see leader.hpp), applies the
// database migrations, runs the built-in schedule. Wiring only.
#include <ev.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <fstream>
#include <iostream>
#include <sstream>

#include "amqp/amqp_url.hpp"
#include "amqp/confirm_publisher.hpp"
#include "domain/cron_schedule.hpp"
#include "grid/reference_computation.hpp"
#include "grid/reference_topology.hpp"
#include "grid/workload.hpp"
#include "http/health_endpoints.hpp"
#include "http/server.hpp"
#include "infra/common_options.hpp"
#include "leader/local_run.hpp"
#include "leader/progress.hpp"
#include "leader/schedule.hpp"
#include "mysql/driver.hpp"
#include "mysql/migrator.hpp"
#include "mysql/mysql_run_store.hpp"
#include "mysql/mysql_task_store.hpp"
#include "mysql/mysql_url.hpp"
#include "mysql/session.hpp"
#include "planning/leader.hpp"
#include "ports/errors.hpp"

namespace {

using namespace dcp;

struct Options {
  CommonSettings common;
  std::string topology_file;  // empty: the embedded reference grid
  std::string from, to, window = "month", selections = "all";
  bool wait = false, local = false, allow_overlap = false;
  std::string cron, range = "previous-month";
  bool run_now = false;
  std::string resume_run;
  int crash_after_batches = 0;
  int http_port = 0;
  std::size_t publish_batch = 2000;
};

std::string ReadTopology(const std::string& file) {
  if (file.empty()) return std::string(grid::EmbeddedReferenceTopology());
  std::ifstream in(file);
  if (!in) throw ConfigError("--topology " + file + ": cannot read the file");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

planning::RunRequest BuildRequest(const Options& o, const TimeZone& tz) {
  planning::RunRequest r;
  r.window = RequireOk(WindowSpec::Parse(o.window), "--window");
  r.selections = RequireOk(planning::ParseSelections(o.selections), "--selections");
  if (o.from.empty() != o.to.empty()) throw ConfigError("--from and --to go together");
  if (o.from.empty()) {
    std::tie(r.from, r.to) =
        RangeAt(RangeKind::kPreviousMonth,
                std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()), tz);
  } else {
    auto from = ParseLocalDate(o.from), to = ParseLocalDate(o.to);
    if (!from) throw ConfigError("--from '" + o.from + "': expected YYYY-MM-DD");
    if (!to) throw ConfigError("--to '" + o.to + "': expected YYYY-MM-DD");
    r.from = *from;
    r.to = *to;
  }
  return r;
}

int Report(const Result<planning::RunOutcome>& outcome) {
  if (!outcome) throw ConfigError(outcome.reason());
  switch (outcome->status) {
    case planning::RunOutcome::Status::kLocked:
      std::cerr << "dcp-leader: another leader holds the run lock; not starting a run\n";
      return kExitLocked;
    case planning::RunOutcome::Status::kPreviousRunActive:
      std::cerr << "dcp-leader: run " << outcome->run->ToString()
                << " is still active; not starting another (--allow-overlap to force)\n";
      return kExitLocked;
    case planning::RunOutcome::Status::kPublished:
    default:
      std::cout << outcome->run->ToString() << "\n";
      return kExitOk;
  }
}

int Main(int argc, char** argv) {
  Options o;
  CLI::App app{"dcp-leader: plans a run, records its tasks and publishes them to RabbitMQ"};
  app.require_subcommand(1);
  app.fallthrough();  // shared options may also follow the subcommand
  AddCommonOptions(app, o.common);
  app.add_option("--topology", o.topology_file,
                 "grid topology JSON file (default: the embedded reference grid)")
      ->envname("DCP_TOPOLOGY");
  auto* migrate = app.add_subcommand("migrate", "apply the pending database migrations");
  auto* run = app.add_subcommand("run", "start one run now");
  auto* schedule = app.add_subcommand("schedule", "stay up and start a run at each cron time");
  auto* resume = app.add_subcommand("resume", "publish the unconfirmed tasks of a run");
  for (auto* sub : {run, schedule}) {
    sub->add_option("--window", o.window, "month, week, day or Nh")
        ->envname("DCP_WINDOW")
        ->capture_default_str();
    sub->add_option("--selections", o.selections, "all, or ID,ID,...")
        ->envname("DCP_SELECTIONS")
        ->capture_default_str();
    sub->add_flag("--allow-overlap", o.allow_overlap,
                  "start even if the previous run is still active");
  }
  app.add_option("--publish-batch", o.publish_batch,
                 "messages per publisher-confirm round (and watermark write)")
      ->envname("DCP_PUBLISH_BATCH")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  run->add_option("--from", o.from, "first day YYYY-MM-DD (default: first day of last month)");
  run->add_option("--to", o.to, "last day YYYY-MM-DD, inclusive");
  run->add_flag("--wait", o.wait, "follow the run to its end; exit 1 if a task FAILED");
  run->add_flag("--local", o.local, "compute the whole run in this process, no broker");
  schedule->add_option("--cron", o.cron, "5-field cron expression in DCP_TZ")
      ->envname("DCP_CRON")
      ->required();
  schedule
      ->add_option("--range", o.range, "previous-month|previous-week|previous-day|current-month")
      ->envname("DCP_RANGE")
      ->capture_default_str();
  schedule
      ->add_option("--http-port", o.http_port, "port of /healthz, /readyz and /metrics (0: off)")
      ->envname("DCP_HTTP_PORT")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  schedule->add_flag("--run-now", o.run_now, "also start one run at start-up")
      ->envname("DCP_RUN_NOW");
  resume->add_option("RUN_ID", o.resume_run, "the run")->required();
  // Tests only: SIGKILL itself after N confirmed batches of 100 messages.
  app.add_option("--test-crash-after-batches", o.crash_after_batches)
      ->group("")
      ->envname("DCP_TEST_CRASH_AFTER_BATCHES");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  if (auto logging = InitLogging(o.common.log, "leader"); !logging)
    throw ConfigError(logging.reason());

  const TimeZone tz = RequireOk(TimeZone::Load(o.common.time_zone), "--tz");
  const auto mysql_url = RequireOk(mysql::MysqlUrl::Parse(o.common.mysql_url), "--mysql-url");
  mysql::InitDriver();
  mysql::Session session(mysql_url);
  if (migrate->parsed()) {
    const auto result = mysql::Migrator().Migrate(session);
    std::cout << "migrations applied: " << result.applied.size() << "\n";
    return kExitOk;
  }

  planning::LeaderSettings settings{
      tz,
      RequireOk(grid::WorkloadOf(ReadTopology(o.topology_file)), "--topology"),
      o.allow_overlap,
      {}};
  settings.publishing.batch = o.publish_batch;
  if (o.crash_after_batches > 0) {  // tests: a leader killed mid-publish
    settings.publishing.batch = 100;
    settings.publishing.after_batch = [n = o.crash_after_batches](std::int64_t done) {
      if (done >= n) raise(SIGKILL);
    };
  }
  mysql::MysqlRunStore runs(session);

  if (run->parsed() && o.local) {
    planning::Leader leader(runs, nullptr, settings);
    mysql::MysqlTaskStore tasks(session);
    grid::ReferenceComputation computation;
    auto request = BuildRequest(o, tz);
    request.trigger = "local";
    const auto started = std::chrono::steady_clock::now();
    auto outcome = leader::RunLocal(leader, runs, tasks, computation, request,
                                    RunContext{tz.name(), settings.workload.topology});
    if (!outcome) throw ConfigError(outcome.reason());
    if (outcome->status == planning::RunOutcome::Status::kLocked) {
      std::cerr << "dcp-leader: another leader holds the run lock; not starting a run\n";
      return kExitLocked;
    }
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    spdlog::info("run {}: {} finished, {} failed, locally in {:.2f} s", outcome->run->ToString(),
                 outcome->finished, outcome->failed, secs);
    std::cout << outcome->run->ToString() << "\n";
    return outcome->failed > 0 ? kExitFailure : kExitOk;
  }

  const auto amqp_url = RequireOk(amqp::AmqpUrl::Parse(o.common.amqp_url), "--amqp-url");
  amqp::PublisherOptions publishing;
  publishing.connection.url = amqp_url;
  publishing.connection.name = "dcp-leader";
  publishing.queue =
      amqp::QueueOptions::From(o.common.queue, o.common.queue_type, o.common.delivery_limit);
  amqp::ConfirmPublisher publisher(publishing);
  planning::Leader leader(runs, &publisher, settings);

  if (resume->parsed()) {
    const auto id = RunId::Parse(o.resume_run);
    if (!id) throw ConfigError("RUN_ID '" + o.resume_run + "': not a UUID");
    std::cout << leader.Resume(*id) << " tasks published\n";
    return kExitOk;
  }
  if (run->parsed()) {
    const auto outcome = leader.Run(BuildRequest(o, tz));
    const int code = Report(outcome);
    if (code != kExitOk || !o.wait) return code;
    const auto final = leader::FollowRun(runs, *outcome->run, std::chrono::seconds(1), std::cerr);
    return final.status == RunStatus::kFinished ? kExitOk : kExitFailure;
  }

  Options template_options = o;  // the range is filled in at each firing
  template_options.from = template_options.to = "";
  leader::ScheduleSettings sched{RequireOk(CronSchedule::Parse(o.cron), "--cron"),
                                 RequireOk(ParseRangeKind(o.range), "--range"),
                                 BuildRequest(template_options, tz), o.run_now};
  struct ev_loop* loop = ev_default_loop(0);
  metrics::Registry registry;
  auto& runs_started = registry.AddCounter("dcp_runs_started_total", "Runs planned and published");
  auto& tasks_published =
      registry.AddCounter("dcp_tasks_published_total", "Task messages published and confirmed");
  std::atomic<bool> last_run_ok{true};
  std::unique_ptr<http::Server> http_server;
  if (o.http_port > 0) {
    http::ServerOptions http_options;
    http_options.port = static_cast<std::uint16_t>(o.http_port);
    http_server = std::make_unique<http::Server>(loop, http_options);
    http::InstallHealthEndpoints(*http_server, registry, [&last_run_ok] {
      const bool ok = last_run_ok.load();
      return std::pair<bool, std::string>(ok, ok ? "" : "the last run could not start");
    });
    http_server->Start();
  }
  leader::Scheduler scheduler(loop, tz, std::move(sched), [&](const planning::RunRequest& request) {
    last_run_ok = false;
    const auto outcome = leader.Run(request);  // throws if a server is unreachable: retried
    last_run_ok = true;
    if (!outcome) {
      spdlog::error("scheduled run not started: {}", outcome.reason());
    } else if (outcome->status != planning::RunOutcome::Status::kPublished) {
      spdlog::warn("scheduled run skipped: {}",
                   outcome->status == planning::RunOutcome::Status::kLocked
                       ? "another leader holds the run lock"
                       : "the previous run is still active");
    } else {
      runs_started.Increment();
      tasks_published.Increment(static_cast<std::uint64_t>(outcome->tasks + outcome->resumed));
      spdlog::info("scheduled run {} published", outcome->run->ToString());
    }
  });
  scheduler.Start();
  ev_run(loop, 0);
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  return dcp::GuardedMain("dcp-leader", [&] { return Main(argc, argv); });
}
