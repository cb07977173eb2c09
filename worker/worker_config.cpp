#include "worker/worker_config.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <thread>

#include "amqp/amqp_url.hpp"
#include "infra/common_options.hpp"
#include "infra/server_settings.hpp"
#include "runtime/failpoint.hpp"
#include "worker/synthetic_computation.hpp"

namespace dcp::worker {
namespace {

// What the flags hold before validation and conversion.
struct Flags {
  CommonSettings common;
  int prefetch = 0;  // 0: 2 x concurrency
  int amqp_heartbeat = 10;
  long long task_timeout = 3600;
  long long batch_window = 250;
  long long retry_delay = 5;
  int http_port = 0;
  double heartbeat_interval = 10;
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
  app.add_option("--computation", c.computation,
                 "reference, exec, or (benchmarks) noop, sleep:MS, spin:MS")
      ->envname("DCP_COMPUTATION")
      ->capture_default_str();
  app.add_option("--exec", c.exec.command,
                 "command run per task (computation exec): task JSON on stdin, result on stdout")
      ->envname("DCP_EXEC");
  app.add_option("--task-timeout", f.task_timeout,
                 "seconds before an exec task is killed and failed")
      ->envname("DCP_TASK_TIMEOUT")
      ->check(CLI::Range(1LL, 7LL * 24 * 3600))
      ->capture_default_str();
  app.add_option("--max-attempts", c.service.processor.max_attempts,
                 "deliveries of a task before it is FAILED for good")
      ->envname("DCP_MAX_ATTEMPTS")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--retry-delay", f.retry_delay,
                 "seconds before a failed task's first retry (doubles each time, at most 5 min)")
      ->envname("DCP_RETRY_DELAY")
      ->check(CLI::Range(0LL, 3600LL))
      ->capture_default_str();
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

Result<bool> Convert(const Flags& f, WorkerConfig& c) {
  if (c.computation == "exec" && c.exec.command.empty()) {
    return Error{"--computation exec needs --exec COMMAND"};
  }
  if (c.computation != "exec" && c.computation != "reference") {
    if (auto synthetic = SyntheticComputation::Parse(c.computation); !synthetic) {
      return Error{"--computation: " + synthetic.reason()};
    }
  }
  auto& processor = c.service.processor;
  if (processor.worker_id.empty())
    processor.worker_id = Hostname() + ":" + std::to_string(getpid());
  c.exec.timeout = std::chrono::seconds(f.task_timeout);
  processor.retry_delay = std::chrono::seconds(f.retry_delay);
  c.service.batch_window = std::chrono::milliseconds(f.batch_window);
  c.http_port = f.http_port;
  c.heartbeat_interval =
      std::chrono::milliseconds(static_cast<long long>(f.heartbeat_interval * 1000));
  auto servers = ParseServerSettings(f.common, static_cast<int>(CommonOption::kAll));
  if (!servers) return Error{servers.reason()};
  c.time_zone = std::move(servers->time_zone);
  c.mysql_url = std::move(servers->mysql_url);
  c.consumer.connection.url = std::move(servers->amqp_url);
  c.consumer.connection.heartbeat = std::chrono::seconds(f.amqp_heartbeat);
  c.consumer.connection.name = "dcp-worker " + processor.worker_id;
  c.consumer.queue = std::move(servers->queue);
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
  if (auto converted = Convert(f, c); !converted) return Error{converted.reason()};
  if (!f.crash_on_selection.empty()) {  // tests: a poison message
    c.failpoints.push_back({"worker.crash-on-selection", f.crash_on_selection});
  }
  if (f.crash_before_ack) c.failpoints.push_back({"worker.crash-before-ack", ""});
  return c;
}

}  // namespace dcp::worker
