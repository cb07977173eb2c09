#include "leader/leader_config.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>

#include "compute/computations.hpp"
#include "domain/cron_schedule.hpp"
#include "domain/run_range.hpp"
#include "grid/workload.hpp"
#include "infra/common_options.hpp"
#include "infra/job_option.hpp"
#include "infra/server_settings.hpp"
#include "planning/run_trigger.hpp"
#include "runtime/failpoint.hpp"

namespace dcp::leader {
namespace {

// What the flags hold before validation.
struct Flags {
  CommonSettings common;
  std::string job_file;  // empty: the reference job
  std::string work_dir = "/tmp/dcp-work";
  std::string export_dir;
  std::string topology_file;  // empty: the embedded reference grid
  // Apart per subcommand: CLI11 applies the environment to the options of
  // every subcommand, parsed or not, so one shared variable would let
  // DCP_WINDOW override `run --window` through `schedule`'s option.
  planning::RunParameters run, schedule;
  bool wait = false, local = false, allow_overlap = false;
  std::string cron, range;
  bool run_now = false;
  std::string resume_run;
  int crash_after_batches = 0;
  int pause_per_batch_ms = 0;
  int http_port = 0, retention_days = 0;
  std::size_t publish_batch = 2000;
  planning::WorkloadLimits limits;
};

struct Commands {
  CLI::App* migrate;
  CLI::App* run;
  CLI::App* schedule;
  CLI::App* resume;
};

Commands AddFlags(CLI::App& app, Flags& f) {
  app.require_subcommand(1);
  app.fallthrough();  // shared options may also follow the subcommand
  AddCommonOptions(app, f.common);
  AddJobOption(app, f.job_file);
  app.add_option("--topology", f.topology_file,
                 "grid topology JSON file of the reference job (default: the embedded reference "
                 "grid)")
      ->envname("DCP_TOPOLOGY");
  AddRunLimitOptions(app, f.limits);
  Commands c{app.add_subcommand("migrate", "apply the pending database migrations"),
             app.add_subcommand("run", "start one run now"),
             app.add_subcommand("schedule", "stay up and start a run at each cron time"),
             app.add_subcommand("resume", "publish the unconfirmed tasks of a run")};
  for (auto [sub, parameters] : {std::pair{c.run, &f.run}, std::pair{c.schedule, &f.schedule}}) {
    sub->add_option("--window", parameters->window,
                    "month, week, day, Nh or none (default: the job's, month)")
        ->envname("DCP_WINDOW");
    sub->add_option("--selections", parameters->selections, "all, or ID,ID,...")
        ->envname("DCP_SELECTIONS")
        ->capture_default_str();
    sub->add_flag("--allow-overlap", f.allow_overlap,
                  "start even if the previous run is still active");
  }
  app.add_option("--publish-batch", f.publish_batch,
                 "messages per publisher-confirm round (and watermark write)")
      ->envname("DCP_PUBLISH_BATCH")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--retention-days", f.retention_days,
                 "after each published run, purge the runs quiet for this many days, as `dcp "
                 "purge` does (0: never)")
      ->envname("DCP_RETENTION_DAYS")
      ->check(CLI::Range(0, 3650))
      ->capture_default_str();
  c.run->add_option("--from", f.run.from,
                    "first day YYYY-MM-DD (default: first day of last month)");
  c.run->add_option("--to", f.run.to, "last day YYYY-MM-DD, inclusive");
  c.run->add_flag("--wait", f.wait, "follow the run to its end; exit 1 if a task FAILED");
  c.run->add_flag("--local", f.local, "compute the whole run in this process, no broker");
  c.run->add_option("--work-dir", f.work_dir, "--local: directory of the exec commands' files")
      ->envname("DCP_WORK_DIR")
      ->capture_default_str();
  c.run
      ->add_option("--export-dir", f.export_dir,
                   "--local: DCP_EXPORT_DIR of the job's export command (a directory)")
      ->envname("DCP_EXPORT_DIR")
      ->check(CLI::ExistingDirectory);
  c.schedule
      ->add_option("--cron", f.cron,
                   "5-field cron expression in DCP_TZ (default: the job's schedule)")
      ->envname("DCP_CRON");
  c.schedule
      ->add_option("--range", f.range,
                   "previous-month|previous-week|previous-day|current-month (default: the job's, "
                   "previous-month)")
      ->envname("DCP_RANGE");
  c.schedule
      ->add_option("--http-port", f.http_port, "port of /healthz, /readyz and /metrics (0: off)")
      ->envname("DCP_HTTP_PORT")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  c.schedule->add_flag("--run-now", f.run_now, "also start one run at start-up")
      ->envname("DCP_RUN_NOW");
  c.resume->add_option("RUN_ID", f.resume_run, "the run")->required();
  // Tests only: SIGKILL itself after N confirmed batches of 100 messages.
  app.add_option("--test-crash-after-batches", f.crash_after_batches)
      ->group("")
      ->envname("DCP_TEST_CRASH_AFTER_BATCHES");
  // Tests only: a slow publisher (a pause after each confirmed batch of 100),
  // so that a test can kill a broker node while the leader publishes.
  app.add_option("--test-pause-per-batch-ms", f.pause_per_batch_ms)
      ->group("")
      ->envname("DCP_TEST_PAUSE_PER_BATCH_MS");
  return c;
}

LeaderCommand CommandOf(const Commands& c) {
  if (c.migrate->parsed()) return LeaderCommand::kMigrate;
  if (c.schedule->parsed()) return LeaderCommand::kSchedule;
  if (c.resume->parsed()) return LeaderCommand::kResume;
  return LeaderCommand::kRun;
}

// The settings of the command that uses them: migrate checks no broker and
// no topology, run --local no broker, as before the loader existed.
Result<bool> Validate(Flags& f, const Commands& commands, LeaderConfig& c) {
  if (c.command == LeaderCommand::kMigrate) return true;
  if (c.job.topology.source == job::Source::kBuiltin) {  // the reference grid: loaded once, now
    auto reference = grid::LoadWorkload(f.topology_file);
    if (!reference) return Error{reference.reason()};
    c.reference = std::move(reference).value();
  }
  c.limits = f.limits;
  c.computation = compute::ApplyComputeStep(c.job, c.exec);
  c.exec.work_dir = f.work_dir + "/leader-" + std::to_string(getpid());
  c.export_dir = f.export_dir;
  if (c.job.compute.attempts) c.max_attempts = *c.job.compute.attempts;
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  if (c.command == LeaderCommand::kRun) {
    const planning::GivenParameters given{
        Given(*commands.run, "--window"),
        Given(*commands.run, "--from") || Given(*commands.run, "--to")};
    planning::ApplyJobDefaults(c.job, given, now, c.time_zone, c.run);
  }
  if (c.command == LeaderCommand::kSchedule) {
    if (!Given(*commands.schedule, "--window")) c.run.window = c.job.window;
    if (f.cron.empty()) f.cron = c.job.schedule;
    if (f.cron.empty()) return Error{"schedule needs --cron, or a schedule in the job file"};
    if (f.range.empty()) {
      if (c.job.range.find("..") != std::string::npos) {
        return Error{"schedule: the job's range is dates (" + c.job.range +
                     "); a schedule needs a relative one (--range previous-month, ...)"};
      }
      f.range = c.job.range.empty() ? "previous-month" : c.job.range;
    }
  }
  if (c.command == LeaderCommand::kRun || c.command == LeaderCommand::kSchedule) {
    const auto request = planning::BuildRunRequestOfFlags(c.run, now, c.time_zone);
    if (!request) return Error{request.reason()};
    if (c.command == LeaderCommand::kSchedule) {
      auto cron = CronSchedule::Parse(f.cron);
      if (!cron) return Error{"--cron: " + cron.reason()};
      const auto range = ParseRangeKind(f.range);
      if (!range) return Error{"--range: " + range.reason()};
      c.schedule = ScheduleSettings{std::move(cron).value(), *range, *request, f.run_now};
    }
  }
  if (c.command == LeaderCommand::kResume) {
    c.resume_run = RunId::Parse(f.resume_run);
    if (!c.resume_run) return Error{"RUN_ID '" + f.resume_run + "': not a UUID"};
  }
  return true;
}

}  // namespace

Result<LeaderConfig> LoadLeaderConfig(int argc, const char* const* argv) {
  Flags f;
  CLI::App app{"dcp-leader: plans a run, records its tasks and publishes them to RabbitMQ"};
  const Commands commands = AddFlags(app, f);
  LeaderConfig c;
  c.exit_now = ParseCommandLine(app, argc, argv);
  if (c.exit_now) return c;
  c.command = CommandOf(commands);
  c.log = f.common.log;
  auto job = ApplyJob(app, f.job_file, f.common);
  if (!job) return Error{job.reason()};
  c.job = std::move(job).value();
  // migrate and run --local check no broker URL, as before the loader existed.
  const bool broker =
      c.command != LeaderCommand::kMigrate && !(c.command == LeaderCommand::kRun && f.local);
  auto servers =
      ParseServerSettings(f.common, static_cast<int>(CommonOption::kAll) &
                                        ~(broker ? 0 : static_cast<int>(CommonOption::kAmqp)));
  if (!servers) return Error{servers.reason()};
  c.time_zone = std::move(servers->time_zone);
  c.mysql_url = std::move(servers->mysql_url);
  c.amqp_url = std::move(servers->amqp_url);
  c.queue = std::move(servers->queue);
  c.allow_overlap = f.allow_overlap;
  c.run = c.command == LeaderCommand::kSchedule ? f.schedule : f.run;
  c.wait = f.wait;
  c.local = f.local;
  c.http_port = f.http_port;
  c.publish_batch = f.publish_batch;
  c.retention_days = f.retention_days;
  if (auto valid = Validate(f, commands, c); !valid) return Error{valid.reason()};
  if (f.crash_after_batches > 0) {  // tests: a leader killed mid-publish
    c.failpoints.push_back({"leader.crash-after-batches", std::to_string(f.crash_after_batches)});
    c.publish_batch = 100;
  }
  if (f.pause_per_batch_ms > 0) {  // tests: a broker node killed mid-publish
    c.failpoints.push_back({"leader.pause-per-batch-ms", std::to_string(f.pause_per_batch_ms)});
    c.publish_batch = 100;
  }
  return c;
}

}  // namespace dcp::leader
