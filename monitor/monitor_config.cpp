#include "monitor/monitor_config.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>

#include "grid/workload.hpp"
#include "infra/common_options.hpp"
#include "infra/job_option.hpp"
#include "infra/server_settings.hpp"

namespace dcp::monitor {
namespace {

// What the flags hold before validation and conversion.
struct Flags {
  CommonSettings common;
  std::string topology_file, job_file;
  int port = 8080, stale_after = 30;
  double refresh = 2;
};

void AddFlags(CLI::App& app, Flags& f, MonitorConfig& c) {
  AddCommonOptions(app, f.common);
  completion::AddCompletionOptions(app, c.completion);
  app.add_option("--port", f.port, "HTTP port")
      ->envname("DCP_MONITOR_PORT")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  app.add_option("--bind", c.bind, "numeric address to listen on")
      ->envname("DCP_MONITOR_BIND")
      ->capture_default_str();
  app.add_option("--token", c.service.api.token,
                 "bearer token of the mutating endpoints (prefer the environment; none: disabled)")
      ->envname("DCP_MONITOR_TOKEN");
  app.add_option("--stale-after", f.stale_after,
                 "seconds without a heartbeat before a worker is silent")
      ->envname("DCP_STALE_AFTER")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  app.add_option("--refresh", f.refresh, "seconds between live updates (and queue samples)")
      ->envname("DCP_MONITOR_REFRESH")
      ->check(CLI::Range(0.1, 60.0))
      ->capture_default_str();
  app.add_option("--topology", f.topology_file, "topology JSON file for triggered runs")
      ->envname("DCP_TOPOLOGY");
  AddJobOption(app, f.job_file);
  AddRunLimitOptions(app, c.limits);
  app.add_option("--work-dir", c.work_dir, "directory of the job's export commands' files")
      ->envname("DCP_WORK_DIR")
      ->capture_default_str();
}

Result<bool> Convert(const CLI::App& app, Flags& f, MonitorConfig& c) {
  auto job = ApplyJob(app, f.job_file, f.common);  // its queue and zone, unless given
  if (!job) return Error{job.reason()};
  c.job = std::move(job).value();
  auto servers = ParseServerSettings(f.common, static_cast<int>(CommonOption::kAll));
  if (!servers) return Error{servers.reason()};
  c.time_zone = std::move(servers->time_zone);
  c.mysql_url = std::move(servers->mysql_url);
  c.publishing.connection.url = std::move(servers->amqp_url);
  c.publishing.connection.name = "dcp-monitor";
  c.publishing.queue = std::move(servers->queue);
  if (c.job.topology.source == job::Source::kBuiltin) {  // the reference grid
    auto workload = grid::LoadWorkload(f.topology_file);
    if (!workload) return Error{workload.reason()};
    c.workload = std::move(workload).value();
  }
  c.work_dir += "/monitor-" + std::to_string(getpid());
  c.port = static_cast<std::uint16_t>(f.port);
  c.service.api.stale_after = std::chrono::seconds(f.stale_after);
  c.service.refresh = std::chrono::milliseconds(static_cast<long long>(f.refresh * 1000));
  return true;
}

}  // namespace

Result<MonitorConfig> LoadMonitorConfig(int argc, const char* const* argv) {
  Flags f;
  MonitorConfig c;
  CLI::App app{"dcp-monitor: JSON API, live events and a web page for dcp runs"};
  AddFlags(app, f, c);
  c.exit_now = ParseCommandLine(app, argc, argv);
  if (c.exit_now) return c;
  c.log = f.common.log;
  if (auto converted = Convert(app, f, c); !converted) return Error{converted.reason()};
  return c;
}

}  // namespace dcp::monitor
