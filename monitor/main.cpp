// dcp-monitor: the operator's JSON API, live events and web page (see
// monitor_service.hpp). Wiring only.
#include <ev.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <fstream>

#include "amqp/confirm_publisher.hpp"
#include "amqp/queue_topology.hpp"
#include "completion/completion_wiring.hpp"
#include "grid/reference_topology.hpp"
#include "grid/workload.hpp"
#include "http/health_endpoints.hpp"
#include "infra/common_options.hpp"
#include "monitor/embedded_web.hpp"
#include "monitor/monitor_service.hpp"
#include "mysql/driver.hpp"
#include "mysql/mysql_run_store.hpp"
#include "mysql/thread_connection.hpp"
#include "planning/run_publisher.hpp"
#include "ports/errors.hpp"

namespace {

using namespace dcp;

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

void OnSignal(struct ev_loop* loop, ev_signal*, int) { ev_break(loop, EVBREAK_ALL); }

int Main(int argc, char** argv) {
  CommonSettings common;
  std::string bind = "0.0.0.0", topology_file;
  int port = 8080, stale_after = 30;
  double refresh = 2;
  monitor::MonitorSettings settings;
  completion::CompletionConfig completion_config;
  CLI::App app{"dcp-monitor: JSON API, live events and a web page for dcp runs"};
  AddCommonOptions(app, common);
  completion::AddCompletionOptions(app, completion_config);
  app.add_option("--port", port, "HTTP port")
      ->envname("DCP_MONITOR_PORT")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  app.add_option("--bind", bind, "numeric address to listen on")
      ->envname("DCP_MONITOR_BIND")
      ->capture_default_str();
  app.add_option("--token", settings.api.token,
                 "bearer token of the mutating endpoints (prefer the environment; none: disabled)")
      ->envname("DCP_MONITOR_TOKEN");
  app.add_option("--stale-after", stale_after,
                 "seconds without a heartbeat before a worker is silent")
      ->envname("DCP_STALE_AFTER")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  app.add_option("--refresh", refresh, "seconds between live updates (and queue samples)")
      ->envname("DCP_MONITOR_REFRESH")
      ->check(CLI::Range(0.1, 60.0))
      ->capture_default_str();
  app.add_option("--topology", topology_file, "topology JSON file for triggered runs")
      ->envname("DCP_TOPOLOGY");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  if (auto logging = InitLogging(common.log, "monitor"); !logging)
    throw ConfigError(logging.reason());
  const TimeZone tz = RequireOk(TimeZone::Load(common.time_zone), "--tz");
  const auto mysql_url = RequireOk(mysql::MysqlUrl::Parse(common.mysql_url), "--mysql-url");
  std::string topology(grid::EmbeddedReferenceTopology());
  if (!topology_file.empty()) {
    std::ifstream in(topology_file);
    if (!in) throw ConfigError("--topology " + topology_file + ": cannot read the file");
    topology.assign(std::istreambuf_iterator<char>(in), {});
  }
  const auto leader_settings =
      planning::LeaderSettings{tz, RequireOk(grid::WorkloadOf(topology), "--topology"), false, {}};
  amqp::PublisherOptions publishing;
  publishing.connection.url = RequireOk(amqp::AmqpUrl::Parse(common.amqp_url), "--amqp-url");
  publishing.connection.name = "dcp-monitor";
  publishing.queue =
      amqp::QueueOptions::From(common.queue, common.queue_type, common.delivery_limit);
  settings.api.stale_after = std::chrono::seconds(stale_after);
  settings.refresh = std::chrono::milliseconds(static_cast<long long>(refresh * 1000));
  auto completions = completion::MakeCompletionService(
      completion_config, mysql_url, publishing.connection, grid::ReferenceCsvHeaders());
  mysql::InitDriver();

  struct ev_loop* loop = ev_default_loop(0);
  http::ServerOptions http_options;
  http_options.bind_address = bind;
  http_options.port = static_cast<std::uint16_t>(port);
  http::Server server(loop, http_options);
  metrics::Registry registry;
  http::InstallHealthEndpoints(server, registry, {});
  std::size_t count = 0;
  const monitor::WebAsset* assets = monitor::WebAssets(&count);
  for (std::size_t i = 0; i < count; ++i) {
    const monitor::WebAsset asset = assets[i];
    server.Handle("GET", std::string(asset.path), [asset](const http::Request&) {
      http::Response r;
      r.content_type = std::string(asset.content_type);
      r.body = std::string(asset.body);
      r.headers = {{"Content-Security-Policy", "default-src 'self'"},
                   {"X-Content-Type-Options", "nosniff"}};
      return r;
    });
  }
  monitor::MonitorService service(
      loop, server,
      [&mysql_url, &publishing, &leader_settings] {
        auto state = std::make_shared<BackendState>(publishing, leader_settings);
        auto store = mysql::ConnectOnThisThread<mysql::MysqlRunStore, RunStore>(mysql_url);
        monitor::Backend backend;
        backend.keep =
            std::make_shared<std::pair<std::shared_ptr<void>, std::shared_ptr<void>>>(store, state);
        backend.store = store;
        backend.inspect_queue = [state] { return state->Inspect(); };
        backend.trigger =
            [state, store](const planning::RunParameters& p) -> Result<planning::RunOutcome> {
          const auto now =
              std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
          auto request = planning::BuildRunRequest(p, now, state->leader.time_zone);
          if (!request) return Error{request.reason()};
          try {
            return planning::Leader(*store, &state->Publisher(), state->leader).Run(*request);
          } catch (...) {
            state->publisher.reset();
            throw;
          }
        };
        backend.publish_requeued = [state, store](const RunId& run) {
          try {
            return planning::RunPublisher(*store, state->Publisher(), {}).Resume(run);
          } catch (...) {
            state->publisher.reset();
            throw;
          }
        };
        return backend;
      },
      settings);
  server.Start();
  service.Start();
  completions->Start();
  spdlog::info("dcp-monitor on http://{}:{} (mutations {})", bind, server.port(),
               settings.api.token.empty() ? "disabled: no DCP_MONITOR_TOKEN" : "enabled");
  ev_signal sigterm, sigint;
  ev_signal_init(&sigterm, OnSignal, SIGTERM);
  ev_signal_init(&sigint, OnSignal, SIGINT);
  ev_signal_start(loop, &sigterm);
  ev_signal_start(loop, &sigint);
  ev_run(loop, 0);
  completions->Stop();
  service.Stop();
  server.Stop();
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  return dcp::GuardedMain("dcp-monitor", [&] { return Main(argc, argv); });
}
