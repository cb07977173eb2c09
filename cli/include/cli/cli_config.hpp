#pragma once
// dcp's configuration: its flags and environment (see README,
// "Configuration") turned into one validated struct, once, in main.
// Nothing below main reads a flag or the environment.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "amqp/amqp_url.hpp"
#include "amqp/queue_topology.hpp"
#include "domain/ids.hpp"
#include "domain/local_time.hpp"
#include "domain/result.hpp"
#include "domain/task_status.hpp"
#include "infra/logging.hpp"
#include "job/job.hpp"
#include "mysql/mysql_url.hpp"
#include "planning/job_workload.hpp"
#include "planning/run_parameters.hpp"
#include "ports/workload.hpp"
#include "retention/purge.hpp"
#include "runtime/failpoint.hpp"

namespace dcp::cli {

enum class CliCommand {
  kRuns,
  kStatus,
  kTasks,
  kWorkers,
  kTrigger,
  kCancel,
  kExport,
  kRetry,
  kDeadList,
  kDeadReplay,
  kQueuesMigrate,
  kPurge
};

struct CliConfig {
  // Set when there is nothing to run: --help was printed (0), or CLI11
  // refused the command line and said why (kExitUsage). main returns it.
  std::optional<int> exit_now;
  CliCommand command = CliCommand::kStatus;
  LogSettings log;
  mysql::MysqlNodes mysql_url;
  // Checked only for the commands that use the broker (trigger, retry, dead).
  amqp::AmqpNodes amqp_url;
  amqp::QueueOptions queue;
  // Seconds without a heartbeat before a worker is silent (its STARTED
  // tasks stale).
  std::chrono::seconds stale_after{30};

  // The run of status (none: the latest), tasks, cancel, export, retry;
  // dead list / replay --run (none: every run).
  std::optional<RunId> run;
  bool json = false;                        // runs, status, tasks, workers, dead list
  bool watch = false;                       // status: until the run ends
  std::chrono::seconds watch_interval{2};   // status --watch
  std::size_t limit = 20;                   // runs
  std::size_t task_limit = 10000;           // tasks
  std::optional<TaskStatus> status_filter;  // tasks
  std::string output;                       // export: the file; empty: stdout
  bool rerun_export = false;                // export --rerun: the job's export command again
  bool wait = false;                        // export --rerun --wait
  std::size_t dead_limit = 100;             // dead list / replay: letters looked at
  bool dry_run = false;                     // dead replay: say what it would do
  // purge: --older-than (else DCP_RETENTION_DAYS), --dry-run, --batch, --pause-ms.
  retention::PurgeOptions purge;
  // Tests only: failpoints the hidden --test-* flags ask for; main arms them.
  std::vector<failpoint::Armed> failpoints;

  // trigger: checked (the default range is taken when the run starts).
  planning::RunParameters parameters;
  bool allow_overlap = false;
  TimeZone time_zone = TimeZone::Load("UTC").value();
  job::Job job = job::ReferenceJob();  // --job: the job whose run it starts
  planning::WorkloadLimits limits;     // a run's tasks, the topology step's output
  Workload workload;                   // the reference grid, for a job's builtin steps
};

// Parses argv (argv[0] is the program) and the DCP_* environment (a flag
// wins over its variable). Error: a value that does not validate; the
// reason names its flag.
Result<CliConfig> LoadCliConfig(int argc, const char* const* argv);

}  // namespace dcp::cli
