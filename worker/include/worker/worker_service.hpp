#pragma once
// The worker process: consumes task messages on a libev loop and runs them on
// a pool of threads.
//
// Threading: the loop thread owns the AMQP connection (deliveries in, acks
// out). A recorder thread owns one database connection and writes STARTED
// and FINISHED for many tasks per round trip (TaskStore::RecordBatch, one
// transaction per round): whatever accumulated while its last write ran goes in the
// next one, so batches grow with the load and a lone task waits for one
// round trip only (BatchRecorder). Pool threads compute
// (TaskProcessor::Compute), with their own connections for the rare writes
// (failures, retries, tasks the batch could not start); outcomes go back to
// the loop through a LoopMailbox and are settled there (Settler).
//
// A delivery moves: incoming (not started) -> ready (STARTED, waiting for a
// pool thread) -> computing -> finishing (computed) -> done (recorded) ->
// acked (see delivery_stages.hpp). When to start and when to record is the
// SchedulingPolicy's: the recorder starts a task for each idle thread plus
// those the busy threads will reach within the batch window, so STARTED
// always means that this live worker holds the task and is about to
// compute it, a crash costs an attempt only to those, and a drain (which
// computes the started tasks) takes at most a window longer than the tasks
// in progress. This class is the glue: the threads, the hand-off between
// the stages, and the loop (signals, drain).
//
// Delivery semantics: at least once. A message is acked only after its final
// status is committed; a dead letter is acked only once the dead-letter
// publish is confirmed. SIGTERM/SIGINT drain: stop consuming, hand back the
// messages not yet started, compute those started, record and ack them,
// exit 0; by the drain deadline in any case (WorkerSettings::drain_timeout).
//
// Computations that keep a program between tasks (persistent mode) are
// prepared first, on a thread of their own: the worker consumes only once
// every thread's program is ready, and is not ready (readiness probe)
// while one fails to start. If one never gets ready in its tries, at start
// or later, the worker hands its messages back (a drain: those started are
// failed as retryable by the broken computation) and Run returns
// kExitProgramNotReady, so that an autoscaler does not keep a useless pod.
#include <ev.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "amqp/consumer.hpp"
#include "ports/computation.hpp"
#include "ports/task_store.hpp"
#include "processing/run_context_cache.hpp"
#include "processing/task_processor.hpp"
#include "runtime/loop_mailbox.hpp"
#include "runtime/mutex.hpp"
#include "runtime/stopper.hpp"
#include "worker/delivery_stages.hpp"
#include "worker/scheduling_policy.hpp"
#include "worker/settler.hpp"
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
  // After SIGTERM the worker has exited by then, whatever its computations
  // and the database do: at the deadline it kills its computations, leaves
  // every unsettled delivery to the broker (they are redelivered when its
  // connection closes) and Run returns kExitDrainDeadline.
  std::chrono::milliseconds drain_timeout{std::chrono::seconds(3630)};
};

// What the worker does with the deliveries of one of its queues (a job it
// serves): computes them with `computation` (which outlives the service),
// by the rule of a TaskProcessor with `processor` (the job's attempts and
// pin). The recorder uses WorkerSettings::processor.
struct QueueRoute {
  Computation* computation = nullptr;
  processing::ProcessorSettings processor;
};

class WorkerService final : public amqp::ConsumerHandler {
 public:
  // Called once on each pool thread: that thread's store (and connection).
  using StoreFactory = std::function<std::shared_ptr<TaskStore>()>;

  // routes[i] serves consumer_options.queues[i] (as many of each).
  WorkerService(struct ev_loop* loop, const amqp::ConsumerOptions& consumer_options,
                WorkerSettings settings, StoreFactory make_store, std::vector<QueueRoute> routes,
                processing::RunContextCache& contexts, WorkerMetrics& metrics);
  ~WorkerService() override;

  // Runs until drained after a signal. Returns the process exit code: 0, or
  // kExitDrainDeadline when the drain did not end in time (then the pool
  // and recorder threads may be blocked in a database call: the caller
  // must exit the process without destroying the service).
  int Run();

  // Begins the drain (what SIGTERM does). Loop thread only.
  void BeginDrain();

  // Thread-safe.
  std::int64_t settled() const { return settled_.load(); }
  // Consuming, the last database operation succeeded, and every
  // computation can compute. Thread-safe.
  bool ready() const;
  std::int64_t in_flight() const { return static_cast<std::int64_t>(in_flight_.load()); }
  // The id of the task computed longest among those being computed now, if
  // any (for the heartbeat). Thread-safe.
  std::optional<std::string> current_task() const;

 private:
  void OnDelivery(amqp::Delivery delivery) override;
  void OnConnected() override;
  void OnDisconnected(const std::string& reason) override;

  void PoolThread(int index);
  void RecorderThread();
  PipelineState State() const DCP_REQUIRES(mutex_);
  bool StartDue() const DCP_REQUIRES(mutex_);
  bool FinishDue(std::chrono::steady_clock::time_point now) const DCP_REQUIRES(mutex_);
  void OnDone(std::deque<Done>& batch);  // loop thread
  // What the preparer thread, or a pool thread that found its computation
  // broken, tells the loop: `error` empty when every computation is ready.
  struct ProgramEvent {
    bool prepared = false;  // from the preparer
    std::string error;
  };
  void OnProgramEvents(std::deque<ProgramEvent>& events);  // loop thread
  void MaybeFinishDrain();
  static void OnSignal(struct ev_loop* loop, ev_signal* w, int revents);
  static void OnDrainCheck(struct ev_loop* loop, ev_timer* w, int revents);
  static void OnDrainDeadline(struct ev_loop* loop, ev_timer* w, int revents);

  struct ev_loop* loop_;
  WorkerSettings settings_;
  StoreFactory make_store_;
  std::vector<QueueRoute> routes_;
  processing::RunContextCache& contexts_;
  amqp::Consumer consumer_;
  ConsumerSettler consumer_settler_{consumer_};
  Settler settler_;
  runtime::Stopper stopper_;  // set on a second signal: abandon database waits

  runtime::Mutex mutex_;
  runtime::CondVar pool_cv_;      // ready_ or closing_
  runtime::CondVar recorder_cv_;  // work for the recorder, or closing_
  SchedulingPolicy policy_ DCP_GUARDED_BY(mutex_);
  std::deque<Job> incoming_ DCP_GUARDED_BY(mutex_);  // delivered, not started
  std::deque<Job> ready_ DCP_GUARDED_BY(mutex_);     // started, waiting for a pool thread
  std::vector<Finishing> finishing_ DCP_GUARDED_BY(mutex_);
  // When finishing_ was last empty.
  std::chrono::steady_clock::time_point finishing_since_ DCP_GUARDED_BY(mutex_);
  bool closing_ DCP_GUARDED_BY(mutex_) = false;          // threads exit
  std::size_t idle_threads_ DCP_GUARDED_BY(mutex_) = 0;  // pool threads waiting for a started task

  struct Computing {
    std::optional<TaskId> task;  // nullopt when unreadable
    std::chrono::steady_clock::time_point since;
  };
  mutable runtime::Mutex computing_mutex_;
  std::map<int, Computing> computing_ DCP_GUARDED_BY(computing_mutex_);  // by pool thread

  runtime::LoopMailbox<Done> done_;  // pool and recorder threads -> loop: settle these
  runtime::LoopMailbox<ProgramEvent> program_events_;
  std::thread preparer_;               // runs each computation's Prepare
  std::atomic<bool> prepared_{false};  // the preparer is done
  std::atomic<bool> gave_up_{false};   // a computation broke: reported once

  // Written on the loop thread only (database_ok_: by the pool and recorder
  // threads); read anywhere.
  std::atomic<std::size_t> in_flight_{0};  // delivered and not yet settled
  std::atomic<std::int64_t> settled_{0};
  std::atomic<bool> consuming_{false};
  std::atomic<bool> database_ok_{true};
  WorkerMetrics& metrics_;
  bool draining_ = false;

  ev_signal sigterm_{}, sigint_{};
  ev_timer drain_check_{};
  ev_timer drain_deadline_{};
  int exit_code_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace dcp::worker
