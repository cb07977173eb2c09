#pragma once
// The worker process: consumes task messages on a libev loop and runs them on
// a pool of threads.
//
// Threading: the loop thread owns the AMQP connection (deliveries in, acks
// out). A recorder thread owns one database connection and writes STARTED
// and FINISHED for many tasks per round trip (TaskStore::RecordBatch, one
// transaction per round): whatever accumulated while its last write ran goes in the
// next one, so batches grow with the load and a lone task waits for one
// round trip only. Pool threads compute (TaskProcessor::Compute), with
// their own connections for the rare writes (failures, retries, tasks the
// batch could not start); outcomes go back to the loop through an ev_async.
//
// A delivery moves: incoming (not started) -> ready (STARTED, waiting for a
// pool thread) -> computing -> finishing (computed) -> done (recorded) ->
// acked. The recorder starts a task for each idle thread plus those the busy
// threads will reach within the batch window (from measured task and round
// times; none for tasks longer than the window; at most the prefetch), so
// STARTED always means that this live worker holds the task and is about to
// compute it, a crash costs an attempt only to those, and a drain (which
// computes the started tasks) takes at most a window longer than the tasks
// in progress.
//
// Delivery semantics: at least once. A message is acked only after its final
// status is committed; a dead letter is acked only once the dead-letter
// publish is confirmed. SIGTERM/SIGINT drain: stop consuming, hand back the
// messages not yet started, compute those started, record and ack them,
// exit 0.
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
#include "domain/task_message.hpp"
#include "ports/computation.hpp"
#include "ports/task_store.hpp"
#include "processing/run_context_cache.hpp"
#include "processing/task_processor.hpp"
#include "runtime/stopper.hpp"
#include "worker/worker_metrics.hpp"

namespace dcp::worker {

struct WorkerSettings {
  int concurrency = 2;  // pool threads; default: the number of cores
  processing::ProcessorSettings processor;
  runtime::RetrySettings db_retry;
  // Batching of STARTED and FINISHED writes: a worker starts the tasks its
  // threads will reach within this window, and records a finished task at
  // most this long after it is computed (sooner when there is nothing else
  // to wait for). Longer: fewer, bigger writes; shorter: acks sooner.
  std::chrono::milliseconds batch_window{250};
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
                processing::RunContextCache& contexts, WorkerMetrics& metrics);
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
    // Set by the recorder: the decoded message (else `malformed` says why)
    // and its RecordBatch start (nullopt: Compute starts it).
    std::optional<TaskMessage> task;
    std::string malformed;
    std::optional<StartResult> start;
  };
  struct Done {
    amqp::DeliveryRef ref;
    std::string body;
    std::optional<processing::Outcome> outcome;  // nullopt: abandoned, leave it unacked
  };

  void OnDelivery(amqp::Delivery delivery) override;
  void OnConnected() override;
  void OnDisconnected(const std::string& reason) override;

  struct Finishing {
    amqp::DeliveryRef ref;
    std::string body;
    TaskMessage task;
    processing::Outcome outcome;  // kFinish
  };

  void PoolThread(int index);
  void RecorderThread();
  // One transaction: records `finishing` as FINISHED and starts `starting`.
  void RecordRound(TaskStore& store, runtime::DbRetry& retry, std::vector<Job> starting,
                   std::vector<Finishing> finishing);
  Done FinishOne(TaskStore& store, runtime::DbRetry& retry, Finishing& f);
  // mutex_ held:
  std::size_t Lookahead() const;
  std::size_t ReadyTarget() const;  // started tasks wanted in ready_
  bool StartDue() const;
  bool FinishDue(std::chrono::steady_clock::time_point now) const;
  void Finished(std::vector<Done> done);
  void Settle(Done done);  // loop thread
  void MaybeFinishDrain();
  static void OnAsync(struct ev_loop* loop, ev_async* w, int revents);
  static void OnSignal(struct ev_loop* loop, ev_signal* w, int revents);
  static void OnDrainCheck(struct ev_loop* loop, ev_timer* w, int revents);

  struct ev_loop* loop_;
  WorkerSettings settings_;
  StoreFactory make_store_;
  Computation& computation_;
  processing::RunContextCache& contexts_;
  std::size_t max_ahead_;  // started tasks waiting at most: the prefetch
  amqp::Consumer consumer_;
  runtime::Stopper stopper_;  // set on a second signal: abandon database waits

  std::mutex mutex_;
  std::condition_variable pool_cv_;      // ready_ or closing_
  std::condition_variable recorder_cv_;  // work for the recorder, or closing_
  // Guarded by mutex_:
  std::deque<Job> incoming_;  // delivered, not started
  std::deque<Job> ready_;     // started, waiting for a pool thread
  std::vector<Finishing> finishing_;
  std::chrono::steady_clock::time_point finishing_since_;  // when finishing_ was last empty
  std::deque<Done> done_;
  bool closing_ = false;  // threads exit
  // Smoothed seconds of one computation and one recorder round (0: none yet).
  double task_seconds_ = 0;
  double round_seconds_ = 0;
  std::size_t idle_threads_ = 0;  // pool threads waiting for a started task

  struct Computing {
    std::optional<TaskId> task;  // nullopt when unreadable
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
