// dcp-worker: consumes task messages and computes them (see
// worker_service.hpp). Wiring only: the configuration is worker_config.hpp.
#include <ev.h>
#include <malloc.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <string>
#include <vector>

#include "completion/completion_wiring.hpp"
#include "compute/computations.hpp"
#include "domain/url_list.hpp"
#include "grid/reference_topology.hpp"
#include "grid/workload.hpp"
#include "http/health_endpoints.hpp"
#include "http/server.hpp"
#include "infra/common_options.hpp"
#include "mysql/driver.hpp"
#include "mysql/mysql_task_store.hpp"
#include "mysql/mysql_worker_registry.hpp"
#include "mysql/session.hpp"
#include "mysql/thread_connection.hpp"
#include "ports/errors.hpp"
#include "runtime/failpoint.hpp"
#include "worker/heartbeat.hpp"
#include "worker/worker_config.hpp"
#include "worker/worker_service.hpp"

namespace {

using namespace dcp;
using worker::WorkerConfig;

// Failpoint worker.crash-on-selection=S (tests): kills the worker when it
// computes a task of S, every time (a poison message).
class CrashOnSelection final : public Computation {
 public:
  CrashOnSelection(std::unique_ptr<Computation> inner, std::string selection)
      : inner_(std::move(inner)), selection_(std::move(selection)) {}
  std::string_view name() const override { return inner_->name(); }
  Result<std::string> Compute(const TaskMessage& task, const RunContext& run,
                              int attempt) override {
    if (task.selection == selection_) std::raise(SIGKILL);
    return inner_->Compute(task, run, attempt);
  }

 private:
  std::unique_ptr<Computation> inner_;
  std::string selection_;
};

std::unique_ptr<Computation> MakeComputation(const worker::WorkerJob& w) {
  std::unique_ptr<Computation> computation =
      RequireOk(compute::MakeComputation(w.computation, w.exec), "--computation");
  if (const auto selection = failpoint::Value("worker.crash-on-selection")) {
    computation =
        std::make_unique<CrashOnSelection>(std::move(computation), std::string(*selection));
  }
  return computation;
}

// A computation per job (which the routes point to), and the route of each
// job's queue: its attempts and, for a job file, its pin.
std::vector<worker::QueueRoute> MakeRoutes(const WorkerConfig& c,
                                           std::vector<std::unique_ptr<Computation>>& owned) {
  std::vector<worker::QueueRoute> routes;
  for (const worker::WorkerJob& w : c.jobs) {
    owned.push_back(MakeComputation(w));
    processing::ProcessorSettings processor = c.service.processor;
    processor.max_attempts = w.max_attempts;
    if (w.pinned) {
      processor.job_name = w.job.name;
      processor.job_sha256 = w.job.sha256;
    }
    routes.push_back({owned.back().get(), std::move(processor)});
  }
  return routes;
}

std::string QueueNames(const amqp::ConsumerOptions& consumer) {
  std::string names;
  for (const amqp::QueueOptions& queue : consumer.queues) {
    names += (names.empty() ? "" : ", ") + queue.name;
  }
  return names;
}

std::unique_ptr<http::Server> StartHealthEndpoints(struct ev_loop* loop, int port,
                                                   metrics::Registry& registry,
                                                   const worker::WorkerService& service) {
  if (port <= 0) return nullptr;
  http::ServerOptions http_options;
  http_options.port = static_cast<std::uint16_t>(port);
  auto server = std::make_unique<http::Server>(loop, http_options);
  http::InstallHealthEndpoints(*server, registry, [&service] {
    const bool ready = service.ready();
    return std::pair<bool, std::string>(
        ready, ready ? "" : "not consuming, or the database is unreachable");
  });
  server->Start();
  return server;
}

std::unique_ptr<worker::Heartbeat> MakeHeartbeat(const WorkerConfig& c,
                                                 const worker::WorkerService& service) {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return std::make_unique<worker::Heartbeat>(
      [url = c.mysql_url] {
        return mysql::ConnectOnThisThread<mysql::MysqlWorkerRegistry, WorkerRegistry>(url);
      },
      [&service, id = c.service.processor.worker_id, host = std::string(host)] {
        return WorkerBeat{
            id, host, getpid(), service.settled(), service.in_flight(), service.current_task()};
      },
      c.heartbeat_interval);
}

int Main(int argc, char** argv) {
  const auto loaded = worker::LoadWorkerConfig(argc, argv);
  if (!loaded) throw ConfigError(loaded.reason());
  WorkerConfig c = *loaded;
  if (c.exit_now) return *c.exit_now;
  failpoint::Arm(c.failpoints);  // tests only: the hidden --test-* flags
  if (auto logging = InitLogging(c.log, "worker"); !logging) throw ConfigError(logging.reason());

  std::vector<std::unique_ptr<Computation>> computations;  // outlive the service
  // Runs of another producer have no stored context: they get this worker's.
  processing::RunContextCache contexts(
      RunContext{c.time_zone.name(), std::string(grid::EmbeddedReferenceTopology())});
  mysql::InitDriver();
  {
    mysql::Session probe(c.mysql_url);  // fail fast on a wrong URL or password
    const std::size_t packet = probe.max_allowed_packet();
    auto& limit = c.service.processor.max_result_bytes;
    const std::size_t fitted = RequireOk(
        worker::FitResultLimit(limit, c.max_result_bytes_given, packet), "--max-result-bytes");
    if (fitted != limit) {
      spdlog::info("results limited to {} bytes: the database's max_allowed_packet is {}", fitted,
                   packet);
    }
    limit = fitted;
    for (worker::WorkerJob& w : c.jobs) w.exec.max_output_bytes = fitted;
  }
  spdlog::info("worker {}: {} threads, prefetch {} per queue, queue(s) {}, broker {}, database {}",
               c.service.processor.worker_id, c.service.concurrency, c.consumer.prefetch,
               QueueNames(c.consumer), RedactedList(c.consumer.connection.nodes),
               RedactedList(c.mysql_url));
  // Not the default loop: that one reaps every child on SIGCHLD, which would
  // steal the exit status of exec computations.
  const std::unique_ptr<struct ev_loop, void (*)(struct ev_loop*)> loop_owner(
      ev_loop_new(EVFLAG_AUTO), &ev_loop_destroy);  // outlives everything on it
  struct ev_loop* loop = loop_owner.get();
  if (loop == nullptr) throw std::runtime_error("cannot create the event loop");
  metrics::Registry registry;
  worker::WorkerMetrics worker_metrics(registry);
  const worker::DatabaseNodeMetrics database_metrics(registry);  // before any session
  worker::WorkerService service(
      loop, c.consumer, c.service,
      [url = c.mysql_url] {
        return mysql::ConnectOnThisThread<mysql::MysqlTaskStore, TaskStore>(url);
      },
      MakeRoutes(c, computations), contexts, worker_metrics);
  const auto http_server = StartHealthEndpoints(loop, c.http_port, registry, service);
  const auto heartbeat = MakeHeartbeat(c, service);
  heartbeat->Start();
  const auto completions = completion::MakeCompletionService(
      c.completion, c.mysql_url, c.consumer.connection, grid::ReferenceCsvHeaders());
  completions->Start();
  std::vector<job::Job> jobs;
  for (const worker::WorkerJob& w : c.jobs) jobs.push_back(w.job);
  const auto exports = completion::MakeExportService(c.completion, c.mysql_url, jobs, c.work_dir);
  if (exports) exports->Start();
  const int code = service.Run();
  if (code == kExitDrainDeadline) {
    // Threads may be blocked in a database call or a computation: they are
    // not joined. The broker requeues every unacked delivery when the
    // process's connections close.
    spdlog::default_logger()->flush();
    std::_Exit(code);
  }
  if (exports) exports->Stop();
  completions->Stop();
  heartbeat->Stop();
  std::error_code ec;  // the exec commands' files: nothing of them outlives the worker
  std::filesystem::remove_all(c.work_dir, ec);
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
