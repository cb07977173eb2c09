// dcp-worker: consumes task messages and computes them (see
// worker_service.hpp). Wiring only.
#include <ev.h>
#include <malloc.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <iostream>
#include <thread>

#include "amqp/amqp_url.hpp"
#include "amqp/consumer.hpp"
#include "completion/completion_wiring.hpp"
#include "grid/reference_computation.hpp"
#include "grid/reference_topology.hpp"
#include "grid/workload.hpp"
#include "http/health_endpoints.hpp"
#include "http/server.hpp"
#include "infra/common_options.hpp"
#include "mysql/driver.hpp"
#include "mysql/mysql_task_store.hpp"
#include "mysql/mysql_url.hpp"
#include "mysql/mysql_worker_registry.hpp"
#include "mysql/session.hpp"
#include "mysql/thread_connection.hpp"
#include "ports/errors.hpp"
#include "worker/exec_computation.hpp"
#include "worker/heartbeat.hpp"
#include "worker/synthetic_computation.hpp"
#include "worker/worker_service.hpp"

namespace {

using namespace dcp;

// Tests only: kills the worker when it computes `selection`, every time (a
// poison message).
class CrashOnSelection final : public Computation {
 public:
  CrashOnSelection(std::unique_ptr<Computation> inner, std::string selection)
      : inner_(std::move(inner)), selection_(std::move(selection)) {}
  std::string_view name() const override { return inner_->name(); }
  Result<std::string> Compute(const TaskMessage& task, const RunContext& run) override {
    if (task.selection == selection_) raise(SIGKILL);
    return inner_->Compute(task, run);
  }

 private:
  std::unique_ptr<Computation> inner_;
  std::string selection_;
};

std::string Hostname() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return host;
}

int Main(int argc, char** argv) {
  CommonSettings common;
  worker::WorkerSettings settings;
  settings.concurrency = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  int prefetch = 0;
  int amqp_heartbeat = 10;
  std::string computation_name = "reference";
  worker::ExecSettings exec;
  long long task_timeout = 3600;

  CLI::App app{"dcp-worker: consumes dcp task messages, computes them, records them in MySQL"};
  AddCommonOptions(app, common);
  completion::CompletionConfig completion_config;  // reports completed runs, see completion/
  completion::AddCompletionOptions(app, completion_config);
  app.add_option("--concurrency", settings.concurrency, "tasks computed at once (threads)")
      ->envname("DCP_CONCURRENCY")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app.add_option("--prefetch", prefetch, "unacked messages held (default: 2 x concurrency)")
      ->envname("DCP_PREFETCH")
      ->check(CLI::Range(0, 65535));
  long long batch_window = settings.batch_window.count();
  app.add_option("--batch-window", batch_window,
                 "ms: tasks started ahead / finished tasks recorded together (0: no waiting)")
      ->envname("DCP_BATCH_WINDOW")
      ->check(CLI::Range(0LL, 10'000LL))
      ->capture_default_str();
  app.add_option("--computation", computation_name,
                 "reference, exec, or (benchmarks) noop, sleep:MS, spin:MS")
      ->envname("DCP_COMPUTATION")
      ->capture_default_str();
  app.add_option("--exec", exec.command,
                 "command run per task (computation exec): task JSON on stdin, result on stdout")
      ->envname("DCP_EXEC");
  app.add_option("--task-timeout", task_timeout, "seconds before an exec task is killed and failed")
      ->envname("DCP_TASK_TIMEOUT")
      ->check(CLI::Range(1LL, 7LL * 24 * 3600))
      ->capture_default_str();
  app.add_option("--max-attempts", settings.processor.max_attempts,
                 "deliveries of a task before it is FAILED for good")
      ->envname("DCP_MAX_ATTEMPTS")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  long long retry_delay = 5;
  app.add_option("--retry-delay", retry_delay,
                 "seconds before a failed task's first retry (doubles each time, at most 5 min)")
      ->envname("DCP_RETRY_DELAY")
      ->check(CLI::Range(0LL, 3600LL))
      ->capture_default_str();
  app.add_option("--worker-id", settings.processor.worker_id,
                 "recorded on each task (default host:pid)")
      ->envname("DCP_WORKER_ID");
  app.add_option("--heartbeat", amqp_heartbeat, "AMQP heartbeat, seconds")
      ->envname("DCP_HEARTBEAT")
      ->check(CLI::Range(0, 600))
      ->capture_default_str();
  int http_port = 0;
  app.add_option("--http-port", http_port, "port of /healthz, /readyz and /metrics (0: off)")
      ->envname("DCP_HTTP_PORT")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  double heartbeat_interval = 10;
  app.add_option("--heartbeat-interval", heartbeat_interval,
                 "seconds between worker heartbeats in the database")
      ->envname("DCP_HEARTBEAT_INTERVAL")
      ->check(CLI::Range(0.1, 3600.0))
      ->capture_default_str();
  std::string crash_on_selection;  // tests only, hidden
  app.add_option("--test-crash-on-selection", crash_on_selection)
      ->group("")
      ->envname("DCP_TEST_CRASH_ON_SELECTION");
  app.add_flag("--test-crash-before-ack", settings.crash_before_ack)
      ->group("")
      ->envname("DCP_TEST_CRASH_BEFORE_ACK");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  if (auto logging = InitLogging(common.log, "worker"); !logging)
    throw ConfigError(logging.reason());
  if (computation_name == "exec" && exec.command.empty())
    throw ConfigError("--computation exec needs --exec COMMAND");
  if (settings.processor.worker_id.empty())
    settings.processor.worker_id = Hostname() + ":" + std::to_string(getpid());
  exec.timeout = std::chrono::seconds(task_timeout);
  settings.processor.retry_delay = std::chrono::seconds(retry_delay);
  settings.batch_window = std::chrono::milliseconds(batch_window);

  const TimeZone tz = RequireOk(TimeZone::Load(common.time_zone), "--tz");
  const auto mysql_url = RequireOk(mysql::MysqlUrl::Parse(common.mysql_url), "--mysql-url");
  const auto amqp_url = RequireOk(amqp::AmqpUrl::Parse(common.amqp_url), "--amqp-url");

  amqp::ConsumerOptions consumer;
  consumer.connection.url = amqp_url;
  consumer.connection.heartbeat = std::chrono::seconds(amqp_heartbeat);
  consumer.connection.name = "dcp-worker " + settings.processor.worker_id;
  consumer.queue = amqp::QueueOptions::From(common.queue, common.queue_type, common.delivery_limit);
  consumer.prefetch =
      static_cast<std::uint16_t>(prefetch > 0 ? prefetch : 2 * settings.concurrency);
  consumer.consumer_tag = settings.processor.worker_id;

  std::unique_ptr<Computation> computation;
  if (computation_name == "exec") {
    computation = std::make_unique<worker::ExecComputation>(exec);
  } else if (computation_name == "reference") {
    computation = std::make_unique<grid::ReferenceComputation>();
  } else {
    computation = RequireOk(worker::SyntheticComputation::Parse(computation_name), "--computation");
  }
  if (!crash_on_selection.empty()) {
    computation = std::make_unique<CrashOnSelection>(std::move(computation), crash_on_selection);
  }
  // Runs of another producer have no stored context: they get this worker's.
  processing::RunContextCache contexts(
      RunContext{tz.name(), std::string(grid::EmbeddedReferenceTopology())});

  mysql::InitDriver();
  {
    mysql::Session probe(mysql_url);  // fail fast on a wrong URL or password
    (void)probe.QueryInt("SELECT 1");
  }
  spdlog::info("worker {}: {} threads, prefetch {}, queue {}, broker {}, database {}",
               settings.processor.worker_id, settings.concurrency, consumer.prefetch, common.queue,
               amqp_url.Redacted(), mysql_url.Redacted());
  // Not the default loop: that one reaps every child on SIGCHLD, which would
  // steal the exit status of exec computations.
  const std::unique_ptr<struct ev_loop, void (*)(struct ev_loop*)> loop_owner(
      ev_loop_new(EVFLAG_AUTO), &ev_loop_destroy);  // outlives everything on it
  struct ev_loop* loop = loop_owner.get();
  if (loop == nullptr) throw std::runtime_error("cannot create the event loop");
  std::unique_ptr<worker::Heartbeat> heartbeat;
  metrics::Registry registry;
  worker::WorkerMetrics worker_metrics(registry);
  worker::WorkerService service(
      loop, consumer, settings,
      [&mysql_url] {
        return mysql::ConnectOnThisThread<mysql::MysqlTaskStore, TaskStore>(mysql_url);
      },
      *computation, contexts, worker_metrics);
  std::unique_ptr<http::Server> http_server;
  if (http_port > 0) {
    http::ServerOptions http_options;
    http_options.port = static_cast<std::uint16_t>(http_port);
    http_server = std::make_unique<http::Server>(loop, http_options);
    http::InstallHealthEndpoints(*http_server, registry, [&service] {
      const bool ready = service.ready();
      return std::pair<bool, std::string>(
          ready, ready ? "" : "not consuming, or the database is unreachable");
    });
    http_server->Start();
  }
  const std::string host = Hostname();
  heartbeat = std::make_unique<worker::Heartbeat>(
      [&mysql_url] {
        return mysql::ConnectOnThisThread<mysql::MysqlWorkerRegistry, WorkerRegistry>(mysql_url);
      },
      [&] {
        return WorkerBeat{
            settings.processor.worker_id, host, getpid(), service.settled(), service.in_flight(),
            service.current_task()};
      },
      std::chrono::milliseconds(static_cast<long long>(heartbeat_interval * 1000)));
  heartbeat->Start();
  const auto completions = completion::MakeCompletionService(
      completion_config, mysql_url, consumer.connection, grid::ReferenceCsvHeaders());
  completions->Start();
  const int code = service.Run();
  completions->Stop();
  heartbeat->Stop();
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  // --- Memory (issue 6): one malloc arena shared by every thread. glibc
  // gives each thread its own (up to 8 per core), each keeping its own free
  // and partly used pages: ~0.3 MB more peak RSS with noop tasks, ~0.6 MB
  // with the reference computation. The threads mostly wait on MySQL and
  // RabbitMQ, and small allocations come from the per-thread cache without
  // the arena lock: measured, no throughput lost (2 workers x 2 threads,
  // noop and reference tasks, 2 cores).
  mallopt(M_ARENA_MAX, 1);
  // ---
  return dcp::GuardedMain("dcp-worker", [&] { return Main(argc, argv); });
}
