#pragma once
// dcp-worker's configuration: its flags and environment (see README,
// "Configuration") turned into one validated struct, once, in main.
// Nothing below main reads a flag or the environment.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "amqp/consumer.hpp"
#include "completion/completion_wiring.hpp"
#include "compute/exec_computation.hpp"
#include "domain/local_time.hpp"
#include "domain/result.hpp"
#include "infra/logging.hpp"
#include "job/job.hpp"
#include "mysql/mysql_url.hpp"
#include "runtime/failpoint.hpp"
#include "worker/worker_service.hpp"

namespace dcp::worker {

// A job the worker serves, and how it computes the job's tasks.
struct WorkerJob {
  job::Job job;  // a --job file, or the reference job
  // reference, exec, or (benchmarks) noop, sleep:MS, spin:MS: checked.
  // --computation, else exec if --exec is given, else the job's compute step.
  std::string computation = "reference";
  compute::ExecSettings exec;  // computation exec: the command, its timeout, limits, work dir
  int max_attempts = 5;        // --max-attempts, else the job's, else 5
  // Given as a file: a task of a run planned with another job, or another
  // version of it, is refused (ProcessorSettings::job_sha256).
  bool pinned = false;
};

struct WorkerConfig {
  // Set when there is nothing to run: --help was printed (0), or CLI11
  // refused the command line and said why (kExitUsage). main returns it.
  std::optional<int> exit_now;
  // Tests only: failpoints the hidden --test-* flags ask for; main arms them.
  std::vector<failpoint::Armed> failpoints;
  LogSettings log;
  TimeZone time_zone = TimeZone::Load("UTC").value();
  mysql::MysqlNodes mysql_url;
  // The broker connection (URL, heartbeat, name), the queues (queues[i]:
  // jobs[i]'s), the prefetch per queue (2 x concurrency unless given) and
  // the consumer tag (the worker id).
  amqp::ConsumerOptions consumer;
  // Concurrency, batch window, and the processor's retry delay, result
  // limit and worker id (host:pid unless given).
  WorkerSettings service;
  // The jobs served: at least one, distinct names and queues.
  std::vector<WorkerJob> jobs;
  // This worker's own directory under --work-dir (the exec commands'
  // files), removed when it stops.
  std::string work_dir;
  // --max-result-bytes was given: main refuses to start if it does not fit
  // the database's max_allowed_packet (else the default is lowered to fit).
  bool max_result_bytes_given = false;
  int http_port = 0;  // 0: no /healthz, /readyz, /metrics
  std::chrono::milliseconds heartbeat_interval{10'000};
  completion::CompletionConfig completion;
};

// Parses argv (argv[0] is the program) and the DCP_* environment (a flag
// wins over its variable). Error: a value that does not validate; the
// reason names its flag. Arms the test failpoints of the hidden flags
// (--test-crash-on-selection S: worker.crash-on-selection=S;
// --test-crash-before-ack: worker.crash-before-ack), so call it before any
// thread starts.
Result<WorkerConfig> LoadWorkerConfig(int argc, const char* const* argv);

// The largest result the database can take in one statement, given its
// max_allowed_packet: the packet less room for the rest of the statement,
// and at most what the result column (MEDIUMTEXT) holds.
std::size_t LargestStorableResult(std::size_t max_allowed_packet);

// The result limit to run with: `limit` if it fits the database; a default
// that does not fit is lowered to what does; a limit the operator chose that
// does not fit is an Error naming both figures (exit code 2).
Result<std::size_t> FitResultLimit(std::size_t limit, bool given, std::size_t max_allowed_packet);

}  // namespace dcp::worker
