// dcp-monitor: the operator's JSON API, live events and web page (see
// monitor_service.hpp). Wiring only: the configuration is monitor_config.hpp.
#include <ev.h>
#include <spdlog/spdlog.h>

#include <csignal>

#include "amqp/confirm_publisher.hpp"
#include "amqp/queue_topology.hpp"
#include "completion/completion_wiring.hpp"
#include "grid/workload.hpp"
#include "http/health_endpoints.hpp"
#include "infra/common_options.hpp"
#include "monitor/embedded_web.hpp"
#include "monitor/monitor_config.hpp"
#include "monitor/monitor_metrics.hpp"
#include "monitor/monitor_service.hpp"
#include "mysql/driver.hpp"
#include "mysql/mysql_run_store.hpp"
#include "mysql/thread_connection.hpp"
#include "planning/run_publisher.hpp"
#include "planning/run_trigger.hpp"
#include "ports/errors.hpp"

namespace {

using namespace dcp;
using monitor::MonitorConfig;

// The backend thread's connections, made lazily and dropped on failure.
struct BackendState {
  BackendState(amqp::PublisherOptions p, planning::LeaderSettings l)
      : publishing(std::move(p)), leader(std::move(l)) {}
  amqp::PublisherOptions publishing;
  planning::LeaderSettings leader;
  std::unique_ptr<amqp::Connection> inspector;
  std::unique_ptr<amqp::ConfirmPublisher> publisher;

  amqp::ConfirmPublisher& Publisher() {
    if (!publisher) publisher = std::make_unique<amqp::ConfirmPublisher>(publishing);
    return *publisher;
  }
  // Runs `publish` with the publisher, which is dropped if it throws.
  template <class F>
  auto Publishing(F&& publish) {
    try {
      return publish(Publisher());
    } catch (...) {
      publisher.reset();
      throw;
    }
  }
  monitor::QueueSample Inspect() {
    try {
      if (!inspector) inspector = std::make_unique<amqp::Connection>(publishing.connection);
      const auto q = amqp::Inspect(*inspector, publishing.queue.name);
      const auto dead = amqp::Inspect(*inspector, publishing.queue.DeadLetterName());
      return {publishing.queue.name, q.messages_ready, q.consumers, dead.messages_ready};
    } catch (...) {
      inspector.reset();
      throw;
    }
  }
};

// Made on the backend thread: its store, and the broker behind the API.
monitor::Backend MakeBackend(const MonitorConfig& c) {
  auto state = std::make_shared<BackendState>(
      c.publishing,
      planning::JobLeaderSettings(
          c.job, c.limits, [&c] { return Result<Workload>(c.workload); }, c.time_zone));
  auto store = mysql::ConnectOnThisThread<mysql::MysqlRunStore, RunStore>(c.mysql_url);
  monitor::Backend backend;
  backend.keep =
      std::make_shared<std::pair<std::shared_ptr<void>, std::shared_ptr<void>>>(store, state);
  backend.store = store;
  backend.inspect_queue = [state] { return state->Inspect(); };
  backend.trigger = [state, store, &c](const planning::RunParameters& given) {
    const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    // What the request leaves out is the job's.
    planning::RunParameters p = given;
    planning::ApplyJobDefaults(c.job,
                               {!given.window.empty(), !given.from.empty() || !given.to.empty()},
                               now, c.time_zone, p);
    return state->Publishing([&](amqp::ConfirmPublisher& publisher) {
      planning::Leader leader(*store, &publisher, state->leader);
      return planning::TriggerRun(leader, p, now, state->leader.time_zone);
    });
  };
  backend.publish_requeued = [state, store](const RunId& run) {
    return state->Publishing([&](amqp::ConfirmPublisher& publisher) {
      return planning::RunPublisher(*store, publisher, {}).Resume(run);
    });
  };
  return backend;
}

// The page: every embedded asset at its path.
void InstallWebAssets(http::Server& server) {
  std::size_t count = 0;
  const monitor::WebAsset* assets = monitor::WebAssets(&count);
  for (std::size_t i = 0; i < count; ++i) {
    const monitor::WebAsset asset = assets[i];
    server.Handle("GET", std::string(asset.path), [asset](const http::Request&) {
      http::Response r;
      r.content_type = std::string(asset.content_type);
      r.body = std::string(asset.body);
      r.headers = {{"Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'"}};
      return r;
    });
  }
}

void OnSignal(struct ev_loop* loop, ev_signal*, int) { ev_break(loop, EVBREAK_ALL); }

int Main(int argc, char** argv) {
  const auto loaded = monitor::LoadMonitorConfig(argc, argv);
  if (!loaded) throw ConfigError(loaded.reason());
  const MonitorConfig& c = *loaded;
  if (c.exit_now) return *c.exit_now;
  if (auto logging = InitLogging(c.log, "monitor"); !logging) throw ConfigError(logging.reason());
  auto completions = completion::MakeCompletionService(
      c.completion, c.mysql_url, c.publishing.connection, grid::ReferenceCsvHeaders());
  // Given a job with an export command, the monitor exports its runs too.
  auto exports = completion::MakeExportService(c.completion, c.mysql_url, {c.job}, c.work_dir);
  mysql::InitDriver();

  // Not the default loop: that one reaps every child on SIGCHLD, which would
  // steal the exit status of the job's commands (triggered runs' steps, exports).
  const std::unique_ptr<struct ev_loop, void (*)(struct ev_loop*)> loop_owner(
      ev_loop_new(EVFLAG_AUTO), &ev_loop_destroy);  // outlives everything on it
  struct ev_loop* loop = loop_owner.get();
  if (loop == nullptr) throw std::runtime_error("cannot create the event loop");
  http::ServerOptions http_options;
  http_options.bind_address = c.bind;
  http_options.port = c.port;
  http_options.allowed_hosts = c.allowed_hosts;
  http_options.trusted_proxies = c.trusted_proxies;
  http_options.wait_timeout = c.answer_timeout;
  http::Server server(loop, http_options);
  metrics::Registry registry;
  http::InstallHealthEndpoints(server, registry, {});
  InstallWebAssets(server);
  monitor::MonitorMetrics alerts_metrics(registry, {c.job.name, c.publishing.queue.name, c.cron,
                                                    c.time_zone, c.service.api.stale_after});
  monitor::MonitorService service(
      loop, server, [&c] { return MakeBackend(c); }, c.service, &alerts_metrics);
  server.Start();
  service.Start();
  completions->Start();
  if (exports) exports->Start();
  spdlog::info("dcp-monitor on http://{}:{} (mutations {}, reads {})", c.bind, server.port(),
               c.service.api.token.empty() ? "disabled: no DCP_MONITOR_TOKEN" : "enabled",
               c.service.api.read_token.empty() ? "open" : "need DCP_MONITOR_READ_TOKEN");
  if (c.token_generated) {
    // Printed once, for the operator who started it (compose's default).
    spdlog::warn("DCP_MONITOR_TOKEN=generate: this start's token is {}", c.service.api.token);
  }
  ev_signal sigterm, sigint;
  ev_signal_init(&sigterm, OnSignal, SIGTERM);
  ev_signal_init(&sigint, OnSignal, SIGINT);
  ev_signal_start(loop, &sigterm);
  ev_signal_start(loop, &sigint);
  ev_run(loop, 0);
  if (exports) exports->Stop();
  completions->Stop();
  service.Stop();
  server.Stop();
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  return dcp::GuardedMain("dcp-monitor", [&] { return Main(argc, argv); });
}
