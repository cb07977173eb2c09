#include "worker/worker_config.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <thread>

#include "amqp/amqp_url.hpp"
#include "compute/computations.hpp"
#include "compute/synthetic_computation.hpp"
#include "infra/common_options.hpp"
#include "infra/job_option.hpp"
#include "infra/server_settings.hpp"
#include "runtime/failpoint.hpp"

namespace dcp::worker {
namespace {

// What the flags hold before validation and conversion.
struct Flags {
  CommonSettings common;
  std::vector<std::string> job_files;  // none: the reference job
  compute::ExecSettings exec;          // --exec, --exec-env: the base of each job's
  std::string computation;             // --computation
  std::string exec_mode;               // --exec-mode; empty: the job's
  std::string work_dir = "/tmp/dcp-work";
  int prefetch = 0;  // 0: 2 x concurrency
  int amqp_heartbeat = 10;
  long long task_timeout = 3600;
  long long batch_window = 250;
  long long retry_delay = 5;
  int http_port = 0;
  double heartbeat_interval = 10;
  long long max_result_bytes = 0;  // 0: the default, lowered to fit the server's packet
  long long drain_timeout = 0;     // 0: --task-timeout + 30 s
  long long exec_memory_mib = 0;   // 0: no limit
  std::string crash_on_selection;  // tests only
  bool crash_before_ack = false;   // tests only
};

std::string Hostname() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return host;
}

void AddFlags(CLI::App& app, Flags& f, WorkerConfig& c) {
  AddCommonOptions(app, f.common);
  app.add_option("--job", f.job_files,
                 "the job file (YAML) whose tasks this worker computes, on the job's queue; "
                 "repeated (or comma-separated): several jobs, a queue each (default: the "
                 "reference job)")
      ->envname("DCP_JOB")
      ->delimiter(',');
  completion::AddCompletionOptions(app, c.completion);  // reports completed runs
  app.add_option("--concurrency", c.service.concurrency, "tasks computed at once (threads)")
      ->envname("DCP_CONCURRENCY")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app.add_option("--prefetch", f.prefetch, "unacked messages held (default: 2 x concurrency)")
      ->envname("DCP_PREFETCH")
      ->check(CLI::Range(0, 65535));
  app.add_option("--batch-window", f.batch_window,
                 "ms: tasks started ahead / finished tasks recorded together (0: no waiting)")
      ->envname("DCP_BATCH_WINDOW")
      ->check(CLI::Range(0LL, 10'000LL))
      ->capture_default_str();
  app.add_option("--computation", f.computation,
                 "reference, exec, or (benchmarks) noop, sleep:MS, spin:MS (default: the job's "
                 "compute step)")
      ->envname("DCP_COMPUTATION");
  app.add_option("--exec", f.exec.command,
                 "command run by /bin/sh -c per task (computation exec): task JSON on stdin, "
                 "result on stdout (instead of the job's compute command)")
      ->envname("DCP_EXEC");
  app.add_option("--exec-mode", f.exec_mode,
                 "oneshot: a process per task; persistent: one per thread, kept between tasks "
                 "(docs/protocol.md) (default: the job's, oneshot)")
      ->envname("DCP_EXEC_MODE")
      ->check(CLI::IsMember({"oneshot", "persistent"}));
  app.add_option("--exec-env", f.exec.pass_env,
                 "variables of the worker's environment passed through to the exec command, "
                 "besides PATH, HOME, LANG... (comma-separated names; never DCP_*)")
      ->envname("DCP_EXEC_ENV")
      ->delimiter(',');
  app.add_option("--work-dir", f.work_dir,
                 "directory of the exec commands' files: the runs' topologies and each task's "
                 "scratch directory (DCP_WORK_DIR), in a subdirectory of this worker")
      ->envname("DCP_WORK_DIR")
      ->capture_default_str();
  app.add_option("--exec-memory", f.exec_memory_mib,
                 "MiB of address space for each exec command and its children (0: no limit)")
      ->envname("DCP_EXEC_MEMORY")
      ->check(CLI::Range(0LL, 1LL << 24))
      ->capture_default_str();
  app.add_option("--task-timeout", f.task_timeout,
                 "seconds before an exec task is killed and failed (default: the job's, 3600)")
      ->envname("DCP_TASK_TIMEOUT")
      ->check(CLI::Range(1LL, 7LL * 24 * 3600))
      ->capture_default_str();
  app.add_option("--max-attempts", c.service.processor.max_attempts,
                 "deliveries of a task before it is FAILED for good (default: the job's, 3)")
      ->envname("DCP_MAX_ATTEMPTS")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--retry-delay", f.retry_delay,
                 "seconds before a failed task's first retry (doubles each time, at most 5 min)")
      ->envname("DCP_RETRY_DELAY")
      ->check(CLI::Range(0LL, 3600LL))
      ->capture_default_str();
  app.add_option("--max-result-bytes", f.max_result_bytes,
                 "a task's result over this many bytes fails it (default 4 MiB, at most the "
                 "database's max_allowed_packet)")
      ->envname("DCP_MAX_RESULT_BYTES")
      ->check(CLI::Range(0LL, 1LL << 30));
  app.add_option("--drain-timeout", f.drain_timeout,
                 "seconds after SIGTERM by which the worker has exited, whatever its tasks and "
                 "the database do (default: --task-timeout + 30)")
      ->envname("DCP_DRAIN_TIMEOUT")
      ->check(CLI::Range(0LL, 8LL * 24 * 3600));
  app.add_option("--worker-id", c.service.processor.worker_id,
                 "recorded on each task (default host:pid)")
      ->envname("DCP_WORKER_ID");
  app.add_option("--heartbeat", f.amqp_heartbeat, "AMQP heartbeat, seconds")
      ->envname("DCP_HEARTBEAT")
      ->check(CLI::Range(0, 600))
      ->capture_default_str();
  app.add_option("--http-port", f.http_port, "port of /healthz, /readyz and /metrics (0: off)")
      ->envname("DCP_HTTP_PORT")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  app.add_option("--heartbeat-interval", f.heartbeat_interval,
                 "seconds between worker heartbeats in the database")
      ->envname("DCP_HEARTBEAT_INTERVAL")
      ->check(CLI::Range(0.1, 3600.0))
      ->capture_default_str();
  app.add_option("--test-crash-on-selection", f.crash_on_selection)
      ->group("")
      ->envname("DCP_TEST_CRASH_ON_SELECTION");
  app.add_flag("--test-crash-before-ack", f.crash_before_ack)
      ->group("")
      ->envname("DCP_TEST_CRASH_BEFORE_ACK");
}

// How the worker computes `job`'s tasks: --computation, else exec when
// --exec is given, else the job's compute step, whose timeout, attempts,
// memory and variables hold where no flag gives them.
WorkerJob MakeWorkerJob(const CLI::App& app, const Flags& f, job::Job job, bool pinned,
                        int max_attempts) {
  WorkerJob w;
  w.exec = f.exec;
  const std::string step = compute::ApplyComputeStep(job, w.exec);
  if (Given(app, "--exec")) {  // a shell command instead of the job's
    w.exec.argv.clear();
    w.exec.directory.clear();
    w.computation = Given(app, "--computation") ? f.computation : "exec";
  } else {
    w.computation = Given(app, "--computation") ? f.computation : step;
  }
  if (Given(app, "--exec-mode")) w.exec.persistent.enabled = f.exec_mode == "persistent";
  const job::ComputeStep& compute = job.compute;
  w.exec.timeout = std::chrono::seconds(
      Given(app, "--task-timeout") ? f.task_timeout : compute.timeout.value_or(f.task_timeout));
  if (Given(app, "--exec-memory") || !compute.memory) {
    w.exec.memory_limit = static_cast<std::size_t>(f.exec_memory_mib) << 20;
  }
  w.max_attempts =
      Given(app, "--max-attempts") || !compute.attempts ? max_attempts : *compute.attempts;
  // Pinned: only with a job file (the reference job is the default of every
  // version, and runs of other producers have none).
  w.pinned = pinned;
  w.job = std::move(job);
  return w;
}

// The jobs of the --job files (the reference job when none), in order. The
// first one's queue and zone hold unless --queue / --tz are given; with
// several, flags that would make them one (--queue, --exec, --computation)
// are refused, and their names and queues must differ.
Result<std::vector<WorkerJob>> LoadJobs(const CLI::App& app, Flags& f, int max_attempts) {
  const std::size_t count = std::max<std::size_t>(1, f.job_files.size());
  if (count > 1) {
    for (const char* flag : {"--queue", "--exec", "--computation"}) {
      if (Given(app, flag)) {
        return Error{std::string(flag) + ": the worker is given " + std::to_string(count) +
                     " jobs: each is computed by its own compute step, from its own queue"};
      }
    }
  }
  std::vector<WorkerJob> jobs;
  for (std::size_t i = 0; i < count; ++i) {
    const std::string path = f.job_files.empty() ? "" : f.job_files[i];
    Result<job::Job> loaded = i == 0 ? ApplyJob(app, path, f.common) : job::LoadJobFile(path);
    if (!loaded) return Error{loaded.reason()};
    for (const WorkerJob& other : jobs) {
      if (other.job.name == loaded->name || job::QueueOf(other.job) == job::QueueOf(*loaded)) {
        return Error{"--job: " + path + ": job '" + loaded->name + "' (queue " +
                     job::QueueOf(*loaded) + ") and job '" + other.job.name + "' (queue " +
                     job::QueueOf(other.job) + ") need a name and a queue each"};
      }
    }
    jobs.push_back(MakeWorkerJob(app, f, std::move(loaded).value(), !path.empty(), max_attempts));
  }
  return jobs;
}

Result<bool> Convert(const Flags& f, WorkerConfig& c) {
  for (const std::string& name : f.exec.pass_env) {
    if (name.starts_with("DCP_")) {
      return Error{"--exec-env: " + name +
                   ": dcp's own variables are never passed to the command (they hold its secrets)"};
    }
  }
  std::chrono::seconds longest{0};
  for (const WorkerJob& w : c.jobs) {
    if (w.computation == "exec" && w.exec.command.empty() && w.exec.argv.empty()) {
      return Error{"--computation exec needs --exec COMMAND (or a job with a compute command)"};
    }
    if (w.computation != "exec" && w.computation != "reference") {
      if (auto synthetic = compute::SyntheticComputation::Parse(w.computation); !synthetic) {
        return Error{"--computation: " + synthetic.reason()};
      }
    }
    longest = std::max(longest, w.exec.timeout);
  }
  auto& processor = c.service.processor;
  if (processor.worker_id.empty())
    processor.worker_id = Hostname() + ":" + std::to_string(getpid());
  c.service.drain_timeout = f.drain_timeout > 0 ? std::chrono::seconds(f.drain_timeout)
                                                : longest + std::chrono::seconds(30);
  c.max_result_bytes_given = f.max_result_bytes > 0;
  if (c.max_result_bytes_given) {
    processor.max_result_bytes = static_cast<std::size_t>(f.max_result_bytes);
  }
  c.work_dir = f.work_dir + "/worker-" + std::to_string(getpid());
  for (WorkerJob& w : c.jobs) {
    w.exec.max_output_bytes = processor.max_result_bytes;
    w.exec.work_dir = c.work_dir;
  }
  processor.retry_delay = std::chrono::seconds(f.retry_delay);
  c.service.batch_window = std::chrono::milliseconds(f.batch_window);
  c.http_port = f.http_port;
  c.heartbeat_interval =
      std::chrono::milliseconds(static_cast<long long>(f.heartbeat_interval * 1000));
  auto servers = ParseServerSettings(f.common, static_cast<int>(CommonOption::kAll));
  if (!servers) return Error{servers.reason()};
  c.time_zone = std::move(servers->time_zone);
  c.mysql_url = std::move(servers->mysql_url);
  c.consumer.connection.nodes = std::move(servers->amqp_url);
  c.consumer.connection.heartbeat = std::chrono::seconds(f.amqp_heartbeat);
  c.consumer.connection.name = "dcp-worker " + processor.worker_id;
  c.consumer.queues = {std::move(servers->queue)};
  for (std::size_t i = 1; i < c.jobs.size(); ++i) {
    c.consumer.queues.push_back(amqp::QueueOptions::From(
        job::QueueOf(c.jobs[i].job), f.common.queue_type, f.common.delivery_limit));
  }
  c.consumer.prefetch =
      static_cast<std::uint16_t>(f.prefetch > 0 ? f.prefetch : 2 * c.service.concurrency);
  c.consumer.consumer_tag = processor.worker_id;
  return true;
}

}  // namespace

Result<WorkerConfig> LoadWorkerConfig(int argc, const char* const* argv) {
  Flags f;
  WorkerConfig c;
  c.service.concurrency = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  CLI::App app{"dcp-worker: consumes dcp task messages, computes them, records them in MySQL"};
  AddFlags(app, f, c);
  c.exit_now = ParseCommandLine(app, argc, argv);
  if (c.exit_now) return c;
  c.log = f.common.log;
  auto jobs = LoadJobs(app, f, c.service.processor.max_attempts);
  if (!jobs) return Error{jobs.reason()};
  c.jobs = std::move(jobs).value();
  if (auto converted = Convert(f, c); !converted) return Error{converted.reason()};
  if (auto checked = completion::CheckCompletionConfig(c.completion); !checked) {
    return Error{checked.reason()};
  }
  if (!f.crash_on_selection.empty()) {  // tests: a poison message
    c.failpoints.push_back({"worker.crash-on-selection", f.crash_on_selection});
  }
  if (f.crash_before_ack) c.failpoints.push_back({"worker.crash-before-ack", ""});
  return c;
}

std::size_t LargestStorableResult(std::size_t max_allowed_packet) {
  constexpr std::size_t kStatementRoom = 64 * 1024;  // ids, names, the SQL text
  constexpr std::size_t kMediumText = (std::size_t{1} << 24) - 1;
  if (max_allowed_packet <= kStatementRoom) return 0;
  return std::min(max_allowed_packet - kStatementRoom, kMediumText);
}

Result<std::size_t> FitResultLimit(std::size_t limit, bool given, std::size_t max_allowed_packet) {
  const std::size_t largest = LargestStorableResult(max_allowed_packet);
  if (limit <= largest) return limit;
  if (!given) return largest;
  return Error{
      std::to_string(limit) + " does not fit the database: with its max_allowed_packet of " +
      std::to_string(max_allowed_packet) + " bytes a result can have at most " +
      std::to_string(largest) + " bytes (raise max_allowed_packet, or lower DCP_MAX_RESULT_BYTES)"};
}

}  // namespace dcp::worker
