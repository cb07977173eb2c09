#include "cli/cli_config.hpp"

#include <CLI/CLI.hpp>
#include <map>

#include "grid/workload.hpp"
#include "infra/common_options.hpp"
#include "infra/job_option.hpp"
#include "infra/server_settings.hpp"
#include "planning/run_trigger.hpp"

namespace dcp::cli {
namespace {

// What the flags hold before validation and conversion.
struct Flags {
  CommonSettings common;
  std::string run_text, status_filter, topology_file, job_file, older_than;
  int stale_after = 30, watch_interval = 2, limit = 20, task_limit = 10000, dead_limit = 100;
  int retention_days = 0, purge_batch = 1000, purge_pause_ms = 20;
  bool crash_before_ack = false;
};

using Commands = std::map<CliCommand, CLI::App*>;

void AddRunParameters(CLI::App& sub, Flags& f, CliConfig& c) {
  sub.add_option("--from", c.parameters.from, "first day YYYY-MM-DD (default: last month)");
  sub.add_option("--to", c.parameters.to, "last day YYYY-MM-DD, inclusive");
  sub.add_option("--window", c.parameters.window, "month, week, day or Nh")
      ->envname("DCP_WINDOW")
      ->capture_default_str();
  sub.add_option("--selections", c.parameters.selections, "all, or ID,ID,...")
      ->envname("DCP_SELECTIONS")
      ->capture_default_str();
  sub.add_option("--topology", f.topology_file, "topology JSON file (default: embedded grid)")
      ->envname("DCP_TOPOLOGY");
  sub.add_flag("--allow-overlap", c.allow_overlap, "start even if the previous run is active");
  AddJobOption(sub, f.job_file);
  AddRunLimitOptions(sub, c.limits);
}

// dcp dead list / replay: the dead letters of the task queue (--queue).
void AddDeadCommands(CLI::App& app, Flags& f, CliConfig& c, Commands& commands) {
  auto* dead = app.add_subcommand("dead", "the dead-letter queue: list or replay its messages");
  dead->require_subcommand(1);
  auto* list = commands[CliCommand::kDeadList] =
      dead->add_subcommand("list", "show dead letters, leaving them in the queue");
  list->add_flag("--json", c.json, "JSON, for scripts");
  auto* replay = commands[CliCommand::kDeadReplay] = dead->add_subcommand(
      "replay", "requeue the FAILED tasks of dead letters, publish them, then ack the letters");
  replay->add_flag("--dry-run", c.dry_run, "say what would be done; change nothing");
  // Tests only: SIGKILL itself once the tasks are published, before any ack.
  replay->add_flag("--test-crash-before-ack", f.crash_before_ack)->group("");
  for (auto* sub : {list, replay}) {
    sub->add_option("--run", f.run_text, "only the dead letters of this run");
    sub->add_option("-n,--limit", f.dead_limit, "at most this many dead letters (of the run)")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
  }
}

// dcp purge: the runs older than an age, removed in batches.
void AddPurgeCommand(CLI::App& app, Flags& f, CliConfig& c, Commands& commands) {
  auto* purge = commands[CliCommand::kPurge] = app.add_subcommand(
      "purge",
      "remove the runs whose last activity is older than an age, with their tasks, "
      "results and contexts (never an active run)");
  purge->add_option("--older-than", f.older_than,
                    "the age: 90d, 12h, 30m, 45s (default: DCP_RETENTION_DAYS days)");
  purge->add_option("--retention-days", f.retention_days)
      ->envname("DCP_RETENTION_DAYS")
      ->check(CLI::Range(0, 3650))
      ->group("");  // the default of --older-than, from the environment
  purge->add_flag("--dry-run", c.purge.dry_run,
                  "list the runs and count their rows; delete nothing");
  purge->add_option("--batch", f.purge_batch, "rows per DELETE")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  purge
      ->add_option("--pause-ms", f.purge_pause_ms,
                   "milliseconds between two batches, so that running runs keep their speed")
      ->check(CLI::Range(0, 60000))
      ->capture_default_str();
  purge->add_flag("--json", c.json, "JSON, for scripts");
}

// --older-than, else DCP_RETENTION_DAYS.
Result<bool> ValidatePurge(const Flags& f, CliConfig& c) {
  if (!f.older_than.empty()) {
    auto age = retention::ParseAge(f.older_than);
    if (!age) return Error{"--older-than " + age.reason()};
    c.purge.older_than = *age;
  } else if (f.retention_days > 0) {
    c.purge.older_than = std::chrono::hours(24) * f.retention_days;
  } else {
    return Error{"purge: give --older-than AGE (or set DCP_RETENTION_DAYS)"};
  }
  c.purge.batch = static_cast<std::size_t>(f.purge_batch);
  c.purge.pause = std::chrono::milliseconds(f.purge_pause_ms);
  return true;
}

Commands AddFlags(CLI::App& app, Flags& f, CliConfig& c) {
  app.require_subcommand(1);
  app.fallthrough();  // shared options may also follow the subcommand
  AddCommonOptions(app, f.common);
  app.add_option("--stale-after", f.stale_after,
                 "seconds without a heartbeat before a worker counts as silent (its STARTED "
                 "tasks as stale)")
      ->envname("DCP_STALE_AFTER")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  Commands commands;
  auto* runs = commands[CliCommand::kRuns] =
      app.add_subcommand("runs", "recent runs, one line each");
  runs->add_option("-n,--limit", f.limit, "how many")->check(CLI::Range(1, 10000));
  auto* status = commands[CliCommand::kStatus] =
      app.add_subcommand("status", "a run's progress (default: the latest run)");
  status->add_option("RUN_ID", f.run_text, "the run");
  status->add_flag("-w,--watch", c.watch, "refresh until the run ends");
  status->add_option("--interval", f.watch_interval, "--watch: seconds between refreshes")
      ->check(CLI::Range(1, 3600));
  auto* tasks = commands[CliCommand::kTasks] = app.add_subcommand("tasks", "a run's tasks");
  tasks->add_option("RUN_ID", f.run_text, "the run")->required();
  tasks->add_option("--status", f.status_filter, "only tasks in this status (FAILED, ...)");
  tasks->add_option("-n,--limit", f.task_limit, "at most this many")->check(CLI::Range(1, 1000000));
  auto* workers = commands[CliCommand::kWorkers] =
      app.add_subcommand("workers", "workers and their last heartbeat");
  for (auto* sub : {runs, status, tasks, workers})
    sub->add_flag("--json", c.json, "JSON, for scripts");
  auto* trigger = commands[CliCommand::kTrigger] =
      app.add_subcommand("trigger", "start a run now, as the cron would");
  AddRunParameters(*trigger, f, c);
  auto* cancel = commands[CliCommand::kCancel] =
      app.add_subcommand("cancel", "cancel a run: its QUEUED tasks are skipped");
  cancel->add_option("RUN_ID", f.run_text, "the run")->required();
  auto* exp = commands[CliCommand::kExport] =
      app.add_subcommand("export", "a run's results as one CSV");
  exp->add_option("RUN_ID", f.run_text, "the run")->required();
  exp->add_option("-o,--output", c.output, "file to write (default: stdout)");
  exp->add_flag("--rerun", c.rerun_export,
                "run the job's export command again (by a process given the job), not the CSV");
  exp->add_flag("--wait", c.wait, "--rerun: wait until the export has ended; exit 6 if it FAILED");
  auto* retry = commands[CliCommand::kRetry] =
      app.add_subcommand("retry", "put a run's FAILED tasks back to QUEUED and publish them");
  retry->add_option("RUN_ID", f.run_text, "the run")->required();
  AddDeadCommands(app, f, c, commands);
  AddPurgeCommand(app, f, c, commands);
  auto* queues = app.add_subcommand("queues", "the task queues (--queue)");
  queues->require_subcommand(1);
  commands[CliCommand::kQueuesMigrate] = queues->add_subcommand(
      "migrate",
      "move queues an earlier version declared to this version's layout, messages kept "
      "(stop the workers first)");
  return commands;
}

// The run's window and range where no flag gives them: the job's.
Result<bool> ValidateTrigger(const Flags& f, const CLI::App& trigger, CliConfig& c) {
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  const planning::GivenParameters given{Given(trigger, "--window"),
                                        Given(trigger, "--from") || Given(trigger, "--to")};
  planning::ApplyJobDefaults(c.job, given, now, c.time_zone, c.parameters);
  if (auto request = planning::BuildRunRequestOfFlags(c.parameters, now, c.time_zone); !request) {
    return Error{request.reason()};
  }
  if (c.job.topology.source == job::Source::kBuiltin) {  // the reference grid
    auto workload = grid::LoadWorkload(f.topology_file);
    if (!workload) return Error{workload.reason()};
    c.workload = std::move(workload).value();
  }
  return true;
}

// The commands that talk to RabbitMQ, and so need its URL.
bool NeedsBroker(CliCommand command) {
  switch (command) {
    case CliCommand::kTrigger:
    case CliCommand::kRetry:
    case CliCommand::kDeadList:
    case CliCommand::kDeadReplay:
    case CliCommand::kQueuesMigrate:
      return true;
    default:
      return false;
  }
}

Result<bool> Validate(Flags& f, const CLI::App& app, const Commands& commands, CliConfig& c) {
  // Each command checks what it uses: the zone and the broker only trigger
  // (and retry and dead: the broker), as before the loader existed.
  const bool trigger = c.command == CliCommand::kTrigger;
  if (trigger) {  // the job's queue and zone, unless given
    auto job = ApplyJob(app, f.job_file, f.common);
    if (!job) return Error{job.reason()};
    c.job = std::move(job).value();
  }
  int which = static_cast<int>(CommonOption::kMysql) | static_cast<int>(CommonOption::kQueue);
  if (trigger) which |= static_cast<int>(CommonOption::kTimeZone);
  if (NeedsBroker(c.command)) which |= static_cast<int>(CommonOption::kAmqp);
  auto servers = ParseServerSettings(f.common, which);
  if (!servers) return Error{servers.reason()};
  c.time_zone = std::move(servers->time_zone);
  c.mysql_url = std::move(servers->mysql_url);
  c.amqp_url = std::move(servers->amqp_url);
  c.queue = std::move(servers->queue);
  if (!f.run_text.empty()) {
    c.run = RunId::Parse(f.run_text);
    if (!c.run) {
      const bool dead = c.command == CliCommand::kDeadList || c.command == CliCommand::kDeadReplay;
      return Error{std::string(dead ? "--run" : "RUN_ID") + " '" + f.run_text + "': not a UUID"};
    }
  }
  if (!f.status_filter.empty()) {
    c.status_filter = ParseTaskStatus(f.status_filter);
    if (!c.status_filter) return Error{"--status '" + f.status_filter + "': not a task status"};
  }
  if (c.command == CliCommand::kPurge) {
    if (auto valid = ValidatePurge(f, c); !valid) return valid;
  }
  if (trigger) {
    if (auto valid = ValidateTrigger(f, *commands.at(CliCommand::kTrigger), c); !valid)
      return valid;
  }
  return true;
}

}  // namespace

Result<CliConfig> LoadCliConfig(int argc, const char* const* argv) {
  Flags f;
  CliConfig c;
  CLI::App app{"dcp: operate dcp runs"};
  const Commands commands = AddFlags(app, f, c);
  c.exit_now = ParseCommandLine(app, argc, argv);
  if (c.exit_now) return c;
  for (const auto& [command, sub] : commands) {
    if (sub->parsed()) c.command = command;
  }
  c.log = f.common.log;
  c.stale_after = std::chrono::seconds(f.stale_after);
  c.watch_interval = std::chrono::seconds(f.watch_interval);
  c.limit = static_cast<std::size_t>(f.limit);
  c.task_limit = static_cast<std::size_t>(f.task_limit);
  c.dead_limit = static_cast<std::size_t>(f.dead_limit);
  if (f.crash_before_ack) c.failpoints.push_back({"dead.crash-before-ack", ""});
  if (auto valid = Validate(f, app, commands, c); !valid) return Error{valid.reason()};
  return c;
}

}  // namespace dcp::cli
