#pragma once
// dcp-monitor's configuration: its flags and environment (see README,
// "Configuration") turned into one validated struct, once, in main.
// Nothing below main reads a flag or the environment.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "amqp/confirm_publisher.hpp"
#include "completion/completion_wiring.hpp"
#include "domain/cron_schedule.hpp"
#include "domain/local_time.hpp"
#include "domain/result.hpp"
#include "infra/logging.hpp"
#include "job/job.hpp"
#include "monitor/monitor_service.hpp"
#include "mysql/mysql_url.hpp"
#include "planning/job_workload.hpp"
#include "ports/workload.hpp"

namespace dcp::monitor {

struct MonitorConfig {
  // Set when there is nothing to run: --help was printed (0), or CLI11
  // refused the command line and said why (kExitUsage). main returns it.
  std::optional<int> exit_now;
  LogSettings log;
  TimeZone time_zone = TimeZone::Load("UTC").value();
  mysql::MysqlNodes mysql_url;
  // The broker (URL, connection name "dcp-monitor") and the queue: runs
  // triggered and retried are published there, and its depth is sampled.
  amqp::PublisherOptions publishing;
  std::string bind = "0.0.0.0";  // numeric address of the HTTP server
  std::uint16_t port = 8080;
  // The Host header values served (empty: any; DNS rebinding, see README).
  std::vector<std::string> allowed_hosts;
  // The proxies whose X-Forwarded-For names the client (the router's).
  std::vector<std::string> trusted_proxies;
  // An API request not answered by then (the database is slow or gone) is
  // answered 503.
  std::chrono::milliseconds answer_timeout{std::chrono::seconds(10)};
  // DCP_MONITOR_TOKEN=generate: service.api.token was made at random for
  // this start, and main prints it once.
  bool token_generated = false;
  MonitorSettings service;  // the API tokens, stale_after, the refresh period
  job::Job job =
      job::ReferenceJob();  // --job: the job of triggered runs, and whose exports it runs
  // --cron / DCP_CRON, else the job's schedule: the schedule metrics
  // (MonitorMetrics); none: the leader runs no schedule that the monitor knows.
  std::optional<CronSchedule> cron;
  planning::WorkloadLimits limits;         // of triggered runs
  Workload workload;                       // the reference grid, for a job's builtin steps
  std::string work_dir = "/tmp/dcp-work";  // + /monitor-<pid>: the export commands' files
  completion::CompletionConfig completion;
};

// Parses argv (argv[0] is the program) and the DCP_* environment (a flag
// wins over its variable). Error: a value that does not validate; the
// reason names its flag.
Result<MonitorConfig> LoadMonitorConfig(int argc, const char* const* argv);

}  // namespace dcp::monitor
