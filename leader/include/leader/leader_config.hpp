#pragma once
// dcp-leader's configuration: its flags and environment (see README,
// "Configuration") turned into one validated struct, once, in main.
// Nothing below main reads a flag or the environment.
#include <cstddef>
#include <optional>
#include <string>

#include "amqp/amqp_url.hpp"
#include "amqp/queue_topology.hpp"
#include "compute/exec_computation.hpp"
#include "domain/ids.hpp"
#include "domain/local_time.hpp"
#include "domain/result.hpp"
#include "infra/logging.hpp"
#include "job/job.hpp"
#include "leader/schedule.hpp"
#include "mysql/mysql_url.hpp"
#include "planning/job_workload.hpp"
#include "planning/run_parameters.hpp"
#include "ports/workload.hpp"
#include "runtime/failpoint.hpp"

namespace dcp::leader {

enum class LeaderCommand { kMigrate, kRun, kSchedule, kResume };

struct LeaderConfig {
  // Set when there is nothing to run: --help was printed (0), or CLI11
  // refused the command line and said why (kExitUsage). main returns it.
  std::optional<int> exit_now;
  // Tests only: failpoints the hidden --test-* flags ask for; main arms them.
  std::vector<failpoint::Armed> failpoints;
  LeaderCommand command = LeaderCommand::kRun;
  LogSettings log;
  TimeZone time_zone = TimeZone::Load("UTC").value();
  mysql::MysqlNodes mysql_url;
  // Checked only for the commands that publish (not migrate, not --local).
  amqp::AmqpNodes amqp_url;
  amqp::QueueOptions queue;
  job::Job job;  // --job, or the reference job
  // The reference grid's workload (the embedded one, or --topology), for a
  // job whose topology is builtin; loaded once, not for migrate.
  std::optional<Workload> reference;
  planning::WorkloadLimits limits;  // a run's tasks, the topology step's output
  bool allow_overlap = false;       // run, schedule
  // Messages per confirm round; 100 when leader.crash-after-batches is armed.
  std::size_t publish_batch = 2000;
  // run, schedule: after each published run, purge the runs older than
  // this many days (DCP_RETENTION_DAYS); 0: never.
  int retention_days = 0;

  // run (and schedule: window, selections): the parameters, validated; the
  // default range is taken when the run starts.
  planning::RunParameters run;
  bool wait = false;   // follow the run to its end
  bool local = false;  // compute it in this process, no broker
  // --local: the job's computation (compute/computations.hpp) and its
  // settings; attempts as the workers' --max-attempts.
  std::string computation = "reference";
  compute::ExecSettings exec;
  int max_attempts = 5;
  std::string export_dir;  // the export command's DCP_EXPORT_DIR; empty: not set

  // schedule: the cron, the range and the request template.
  std::optional<ScheduleSettings> schedule;
  int http_port = 0;  // 0: no /healthz, /readyz, /metrics

  std::optional<RunId> resume_run;  // resume
};

// Parses argv (argv[0] is the program) and the DCP_* environment (a flag
// wins over its variable). Error: a value that does not validate; the
// reason names its flag. Arms the test failpoints of the hidden flags
// (--test-crash-after-batches N: leader.crash-after-batches), so call it
// before any thread starts.
Result<LeaderConfig> LoadLeaderConfig(int argc, const char* const* argv);

}  // namespace dcp::leader
