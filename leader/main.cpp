// dcp-leader: plans runs and publishes them (see leader.hpp), applies the
// database migrations, runs the built-in schedule. Wiring only: the
// configuration is leader_config.hpp.
#include <ev.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <filesystem>
#include <iostream>
#include <thread>

#include "amqp/confirm_publisher.hpp"
#include "completion/export_step.hpp"
#include "compute/computations.hpp"
#include "http/health_endpoints.hpp"
#include "http/server.hpp"
#include "infra/common_options.hpp"
#include "leader/leader_config.hpp"
#include "leader/local_run.hpp"
#include "leader/progress.hpp"
#include "leader/schedule.hpp"
#include "mysql/driver.hpp"
#include "mysql/migrator.hpp"
#include "mysql/mysql_retention_store.hpp"
#include "mysql/mysql_run_store.hpp"
#include "mysql/mysql_task_store.hpp"
#include "mysql/session.hpp"
#include "planning/leader.hpp"
#include "planning/run_trigger.hpp"
#include "ports/errors.hpp"
#include "retention/purge.hpp"
#include "runtime/failpoint.hpp"

namespace {

using namespace dcp;
using leader::LeaderConfig;

SysSeconds Now() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

planning::LeaderSettings LeaderSettingsOf(const LeaderConfig& c) {
  planning::LeaderSettings settings = planning::JobLeaderSettings(
      c.job, c.limits,
      [&c]() -> Result<Workload> {
        if (!c.reference) return Error{"the reference workload is not loaded"};
        return *c.reference;
      },
      c.time_zone);
  settings.allow_overlap = c.allow_overlap;
  settings.publishing.batch = c.publish_batch;
  return settings;
}

// A run that did not start: says why on stderr; the exit code.
int NotStarted(const planning::RunOutcome& outcome) {
  std::cerr << "dcp-leader: " << planning::NotStartedMessage(outcome) << "\n";
  return planning::TriggerExitCode(outcome);
}

int RunLocally(const LeaderConfig& c, mysql::Session& session, RunStore& runs) {
  planning::Leader leader(runs, nullptr, LeaderSettingsOf(c));
  mysql::MysqlTaskStore tasks(session);
  const std::unique_ptr<Computation> computation =
      RequireOk(compute::MakeComputation(c.computation, c.exec), "compute");
  auto request = planning::BuildRunRequestOfFlags(c.run, Now(), c.time_zone);
  if (!request) throw ConfigError(request.reason());
  request.value().trigger = "local";
  const auto started = std::chrono::steady_clock::now();
  // The exec commands' files: nothing of them outlives the run.
  struct WorkDir {
    std::string path;
    ~WorkDir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  } work_dir{c.exec.work_dir};
  auto outcome = leader::RunLocal(leader, runs, tasks, *computation, *request,
                                  RunContext{c.time_zone.name(), ""}, c.max_attempts);
  if (!outcome) throw ConfigError(outcome.reason());
  if (outcome->status != planning::RunOutcome::Status::kPublished) {
    planning::RunOutcome not_started;
    not_started.status = outcome->status;
    not_started.failure = outcome->failure;
    return NotStarted(not_started);
  }
  // The export step, as a worker runs it (claimed, recorded on the run).
  int exports_failed = 0;
  runtime::Stopper stopper;
  completion::ExportRunner(runs, runs, std::vector<job::Job>{c.job},
                           completion::ExportSettings{c.export_dir, c.exec.work_dir}, stopper)
      .RunDue(outcome->run, &exports_failed);
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  spdlog::info("run {}: {} finished, {} failed, locally in {:.2f} s", outcome->run->ToString(),
               outcome->finished, outcome->failed, secs);
  std::cout << outcome->run->ToString() << "\n";
  if (outcome->failed > 0) return kExitFailure;
  return exports_failed > 0 ? kExitJobStep : kExitOk;
}

// How long a leader purges after a run at most: a first purge of a year of
// runs goes on at the next run, and a schedule's next run is not delayed.
constexpr std::chrono::minutes kPurgeBudget{5};

// DCP_RETENTION_DAYS: after a published run, the runs quiet for that long,
// as `dcp purge` removes them. Another purger at work, or a failure, is
// logged: the run has been published, and the next one purges again.
void PurgeExpired(const LeaderConfig& c, mysql::Session& session,
                  const std::atomic<bool>* stop = nullptr) {
  if (c.retention_days <= 0) return;
  try {
    mysql::MysqlRetentionStore store(session);
    retention::PurgeOptions options;
    options.older_than = std::chrono::hours(24) * c.retention_days;
    options.budget = kPurgeBudget;
    options.stop = stop;
    const auto report = retention::Purge(store, options);
    switch (report.status) {
      case retention::PurgeReport::Status::kLocked:
        spdlog::info("retention: another process is purging; skipped");
        return;
      case retention::PurgeReport::Status::kLockLost:
        spdlog::error("retention: the purge lock was lost; stopped after {} runs",
                      report.runs.size());
        return;
      default:
        spdlog::info("retention: {} runs older than {} days purged, {} rows{}", report.runs.size(),
                     c.retention_days, report.rows,
                     report.status == retention::PurgeReport::Status::kDeadline
                         ? " (time is up: the rest at the next run)"
                         : "");
    }
  } catch (const std::exception& e) {
    spdlog::error("retention: purge failed: {}", e.what());
  }
}

// schedule: the purge after a run on a thread of its own, with a session of
// its own, so that the loop (the next cron time, /healthz and /readyz) does
// not wait for it. One at a time: a purge still going when the next run is
// published goes on alone. Its destructor (SIGTERM) stops it before its next
// batch and waits for that one.
class BackgroundPurge {
 public:
  explicit BackgroundPurge(const LeaderConfig& c) : c_(c) {}
  ~BackgroundPurge() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  BackgroundPurge(const BackgroundPurge&) = delete;
  BackgroundPurge& operator=(const BackgroundPurge&) = delete;

  void Start() {
    if (c_.retention_days <= 0 || running_.load()) return;
    if (thread_.joinable()) thread_.join();  // ended: running_ is false
    running_ = true;
    thread_ = std::thread([this] {
      try {
        const mysql::DriverThread driver;
        mysql::Session session(c_.mysql_url);
        PurgeExpired(c_, session, &stop_);
      } catch (const std::exception& e) {
        spdlog::error("retention: purge failed: {}", e.what());
      }
      running_ = false;
    });
  }

 private:
  const LeaderConfig& c_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> running_{false};
  std::thread thread_;
};

int RunOnce(const LeaderConfig& c, planning::Leader& leader, RunStore& runs,
            mysql::Session& session) {
  const auto outcome = planning::TriggerRun(leader, c.run, Now(), c.time_zone);
  if (!outcome) throw ConfigError(outcome.reason());
  if (outcome->status != planning::RunOutcome::Status::kPublished) return NotStarted(*outcome);
  std::cout << outcome->run->ToString() << "\n" << std::flush;
  PurgeExpired(c, session);
  if (!c.wait) return kExitOk;
  const auto final = leader::FollowRun(runs, *outcome->run, std::chrono::seconds(1), std::cerr);
  return final.status == RunStatus::kFinished ? kExitOk : kExitFailure;
}

// The schedule with its health endpoints and metrics, until SIGTERM/SIGINT.
int Schedule(const LeaderConfig& c, planning::Leader& leader) {
  // Not the default loop: that one reaps every child on SIGCHLD. The job's
  // topology and workload commands run in its callbacks, before it looks,
  // but their exit status must not depend on that.
  const std::unique_ptr<struct ev_loop, void (*)(struct ev_loop*)> loop_owner(
      ev_loop_new(EVFLAG_AUTO), &ev_loop_destroy);  // outlives everything on it
  struct ev_loop* loop = loop_owner.get();
  if (loop == nullptr) throw std::runtime_error("cannot create the event loop");
  metrics::Registry registry;
  auto& runs_started = registry.AddCounter("dcp_runs_started_total", "Runs planned and published");
  auto& tasks_published =
      registry.AddCounter("dcp_tasks_published_total", "Task messages published and confirmed");
  std::atomic<bool> last_run_ok{true};
  BackgroundPurge purge(c);
  std::unique_ptr<http::Server> http_server;
  if (c.http_port > 0) {
    http::ServerOptions http_options;
    http_options.port = static_cast<std::uint16_t>(c.http_port);
    http_server = std::make_unique<http::Server>(loop, http_options);
    http::InstallHealthEndpoints(*http_server, registry, [&last_run_ok] {
      const bool ok = last_run_ok.load();
      return std::pair<bool, std::string>(ok, ok ? "" : "the last run could not start");
    });
    http_server->Start();
  }
  leader::Scheduler scheduler(loop, c.time_zone, *c.schedule, [&](const planning::RunRequest& r) {
    last_run_ok = false;
    const auto outcome = leader.Run(r);  // throws if a server is unreachable: retried
    last_run_ok = true;
    if (!outcome) {
      spdlog::error("scheduled run not started: {}", outcome.reason());
    } else if (outcome->status != planning::RunOutcome::Status::kPublished) {
      spdlog::warn("scheduled run skipped: {}", planning::NotStartedReason(*outcome));
    } else {
      runs_started.Increment();
      tasks_published.Increment(static_cast<std::uint64_t>(outcome->tasks + outcome->resumed));
      spdlog::info("scheduled run {} published", outcome->run->ToString());
      purge.Start();
    }
  });
  scheduler.Start();
  ev_run(loop, 0);
  return kExitOk;
}

int Main(int argc, char** argv) {
  const auto loaded = leader::LoadLeaderConfig(argc, argv);
  if (!loaded) throw ConfigError(loaded.reason());
  const LeaderConfig& c = *loaded;
  if (c.exit_now) return *c.exit_now;
  failpoint::Arm(c.failpoints);  // tests only: the hidden --test-* flags
  if (auto logging = InitLogging(c.log, "leader"); !logging) throw ConfigError(logging.reason());

  mysql::InitDriver();
  mysql::Session session(c.mysql_url);
  if (c.command == leader::LeaderCommand::kMigrate) {
    const auto result = mysql::Migrator().Migrate(session);
    std::cout << "migrations applied: " << result.applied.size() << "\n";
    return kExitOk;
  }
  mysql::MysqlRunStore runs(session);
  if (c.command == leader::LeaderCommand::kRun && c.local) return RunLocally(c, session, runs);

  amqp::PublisherOptions publishing;
  publishing.connection.nodes = c.amqp_url;
  publishing.connection.name = "dcp-leader";
  publishing.queue = c.queue;
  amqp::ConfirmPublisher publisher(publishing);
  planning::Leader leader(runs, &publisher, LeaderSettingsOf(c));
  switch (c.command) {
    case leader::LeaderCommand::kResume:
      std::cout << leader.Resume(*c.resume_run) << " tasks published\n";
      return kExitOk;
    case leader::LeaderCommand::kSchedule:
      return Schedule(c, leader);
    default:
      return RunOnce(c, leader, runs, session);
  }
}

}  // namespace

int main(int argc, char** argv) {
  return dcp::GuardedMain("dcp-leader", [&] { return Main(argc, argv); });
}
