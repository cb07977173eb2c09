#include "monitor/monitor_config.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <stdexcept>

#include "grid/workload.hpp"
#include "http/address_range.hpp"
#include "infra/common_options.hpp"
#include "infra/job_option.hpp"
#include "infra/server_settings.hpp"

namespace dcp::monitor {
namespace {

// What the flags hold before validation and conversion.
struct Flags {
  CommonSettings common;
  std::string topology_file, job_file, cron;
  int port = 8080, stale_after = 30, worker_retention_hours = 24;
  double refresh = 2, answer_timeout = 10;
  std::string allowed_hosts, trusted_proxies;
};

// "a, b,c" -> {"a", "b", "c"}; empty entries dropped.
std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const auto comma = std::min(text.find(',', pos), text.size());
    std::string entry = text.substr(pos, comma - pos);
    entry.erase(0, entry.find_first_not_of(" \t"));
    entry.erase(entry.find_last_not_of(" \t") + 1);
    if (!entry.empty()) out.push_back(std::move(entry));
    pos = comma + 1;
  }
  return out;
}

// 32 hex digits from the kernel's random source.
std::string RandomToken() {
  std::ifstream random("/dev/urandom", std::ios::binary);
  std::string token;
  for (int i = 0; i < 16; ++i) {
    const auto byte = static_cast<unsigned>(random.get());
    if (!random) throw std::runtime_error("cannot read /dev/urandom for a token");
    token += "0123456789abcdef"[byte >> 4];
    token += "0123456789abcdef"[byte & 15];
  }
  return token;
}

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
  app.add_option("--read-token", c.service.api.read_token,
                 "bearer token of the GET API and the live events (none: reads are open)")
      ->envname("DCP_MONITOR_READ_TOKEN");
  app.add_option("--allowed-hosts", f.allowed_hosts,
                 "comma-separated Host header values served, name or name:port (none: any)")
      ->envname("DCP_MONITOR_ALLOWED_HOSTS");
  app.add_option("--trusted-proxies", f.trusted_proxies,
                 "comma-separated addresses or CIDR ranges of proxies whose X-Forwarded-For "
                 "names the client")
      ->envname("DCP_MONITOR_TRUSTED_PROXIES");
  app.add_option("--answer-timeout", f.answer_timeout,
                 "seconds an API request may wait for the database before it is answered 503")
      ->envname("DCP_MONITOR_ANSWER_TIMEOUT")
      ->check(CLI::Range(0.1, 300.0))
      ->capture_default_str();
  app.add_option("--worker-retention", f.worker_retention_hours,
                 "hours a worker row is kept after its last heartbeat")
      ->envname("DCP_MONITOR_WORKER_RETENTION")
      ->check(CLI::Range(1, 24 * 365))
      ->capture_default_str();
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
  app.add_option("--cron", f.cron,
                 "the leader's cron in DCP_TZ, for the schedule metrics (default: the job's "
                 "schedule; \"none\": no schedule)")
      ->envname("DCP_CRON");
  AddRunLimitOptions(app, c.limits);
  app.add_option("--work-dir", c.work_dir, "directory of the job's export commands' files")
      ->envname("DCP_WORK_DIR")
      ->capture_default_str();
}

Result<bool> Convert(const CLI::App& app, Flags& f, MonitorConfig& c) {
  auto job = ApplyJob(app, f.job_file, f.common);  // its queue and zone, unless given
  if (!job) return Error{job.reason()};
  c.job = std::move(job).value();
  if (f.cron.empty()) f.cron = c.job.schedule;
  if (!f.cron.empty() && f.cron != "none") {
    auto cron = CronSchedule::Parse(f.cron);
    if (!cron) return Error{"--cron: " + cron.reason()};
    c.cron = std::move(cron).value();
  }
  auto servers = ParseServerSettings(f.common, static_cast<int>(CommonOption::kAll));
  if (!servers) return Error{servers.reason()};
  c.time_zone = std::move(servers->time_zone);
  c.mysql_url = std::move(servers->mysql_url);
  c.publishing.connection.nodes = std::move(servers->amqp_url);
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
  c.service.worker_retention = std::chrono::hours(f.worker_retention_hours);
  c.answer_timeout = std::chrono::milliseconds(static_cast<long long>(f.answer_timeout * 1000));
  c.allowed_hosts = SplitList(f.allowed_hosts);
  for (const auto& host : c.allowed_hosts) {
    if (host.find_first_of(" /@") != std::string::npos) {
      return Error{"--allowed-hosts: '" + host + "' is not a host name or name:port"};
    }
  }
  c.trusted_proxies = SplitList(f.trusted_proxies);
  for (const auto& proxy : c.trusted_proxies) {
    if (!http::AddressRange::Parse(proxy)) {
      return Error{"--trusted-proxies: '" + proxy + "' is not a numeric address or CIDR range"};
    }
  }
  // "none" is no token, as unset (compose's defaults cannot be empty:
  // podman-compose 1.0.3 keeps `${VAR:-}` as it is).
  for (auto* token : {&c.service.api.token, &c.service.api.read_token}) {
    if (*token == "none") token->clear();
  }
  if (c.service.api.token == "generate") {
    c.service.api.token = RandomToken();
    c.token_generated = true;
  }
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
  if (auto checked = completion::CheckCompletionConfig(c.completion); !checked) {
    return Error{checked.reason()};
  }
  return c;
}

}  // namespace dcp::monitor
