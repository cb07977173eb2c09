#pragma once
// The worker process: consumes task messages on a libev loop and runs them on
// a pool of threads, each with its own database connection.
//
// Threading: the loop thread owns the AMQP connection (deliveries in, acks
// out); pool threads own their TaskStore and run TaskProcessor, then hand
// the outcome back through an ev_async. So heartbeats and acks keep flowing
// while long computations run.
//
// Delivery semantics: at least once. A message is acked only after its final
// status is committed; a dead letter is acked only once the dead-letter
// publish is confirmed. SIGTERM/SIGINT drain: stop consuming, hand back the
// messages not yet started, let in-flight tasks finish and ack them, exit 0.
#include <ev.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "amqp/consumer.hpp"
#include "ports/computation.hpp"
#include "ports/task_store.hpp"
#include "worker/run_context_cache.hpp"
#include "worker/stopper.hpp"
#include "worker/task_processor.hpp"
#include "worker/worker_metrics.hpp"

namespace dcp::worker {

struct WorkerSettings {
  int concurrency = 2;  // pool threads; default: the number of cores
  ProcessorSettings processor;
  RetrySettings db_retry;
  // Tests only: SIGKILL the process after a task's FINISHED is committed and
  // before its ack is sent (the redelivery must then be skipped).
  bool crash_before_ack = false;
};

class WorkerService final : public amqp::ConsumerHandler {
 public:
  // Called once on each pool thread: that thread's store (and connection).
  using StoreFactory = std::function<std::shared_ptr<TaskStore>()>;

  WorkerService(struct ev_loop* loop, amqp::ConsumerOptions consumer_options,
                WorkerSettings settings, StoreFactory make_store, Computation& computation,
                RunContextCache& contexts, WorkerMetrics& metrics);
  ~WorkerService() override;

  // Runs until drained after a signal. Returns the process exit code.
  int Run();

  // Begins the drain (what SIGTERM does). Loop thread only.
  void BeginDrain();

  // Thread-safe.
  std::int64_t settled() const { return settled_.load(); }
  // Consuming, and the last database operation succeeded. Thread-safe.
  bool ready() const { return consuming_.load() && database_ok_.load(); }
  std::int64_t in_flight() const { return static_cast<std::int64_t>(in_flight_.load()); }
  // The id of the task computed longest among those being computed now, if
  // any (for the heartbeat). Thread-safe.
  std::optional<std::string> current_task() const;

 private:
  struct Job {
    amqp::DeliveryRef ref;
    std::string body;
  };
  struct Done {
    amqp::DeliveryRef ref;
    std::string body;
    std::optional<Outcome> outcome;  // nullopt: abandoned, leave it unacked
  };

  void OnDelivery(amqp::Delivery delivery) override;
  void OnConnected() override;
  void OnDisconnected(const std::string& reason) override;

  void PoolThread(int index);
  void Settle(Done done);  // loop thread
  void MaybeFinishDrain();
  static void OnAsync(struct ev_loop* loop, ev_async* w, int revents);
  static void OnSignal(struct ev_loop* loop, ev_signal* w, int revents);
  static void OnDrainCheck(struct ev_loop* loop, ev_timer* w, int revents);

  struct ev_loop* loop_;
  WorkerSettings settings_;
  StoreFactory make_store_;
  Computation& computation_;
  RunContextCache& contexts_;
  amqp::Consumer consumer_;
  Stopper stopper_;  // set on a second signal: abandon database waits

  std::mutex mutex_;
  std::condition_variable jobs_cv_;
  std::deque<Job> jobs_;   // guarded by mutex_
  std::deque<Done> done_;  // guarded by mutex_
  bool closing_ = false;   // guarded by mutex_: pool threads exit

  struct Computing {
    std::string task;  // the task id, or "" when unreadable
    std::chrono::steady_clock::time_point since;
  };
  mutable std::mutex computing_mutex_;
  std::map<int, Computing> computing_;  // by pool thread; guarded by computing_mutex_

  // Written on the loop thread only.
  std::atomic<std::size_t> in_flight_{0};  // delivered and not yet settled
  std::atomic<std::int64_t> settled_{0};
  std::atomic<bool> consuming_{false};
  std::atomic<bool> database_ok_{true};
  WorkerMetrics& metrics_;
  bool draining_ = false;

  ev_async async_{};
  ev_signal sigterm_{}, sigint_{};
  ev_timer drain_check_{};
  std::vector<std::thread> threads_;
};

}  // namespace dcp::worker
