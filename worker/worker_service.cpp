#include "worker/worker_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <csignal>

#include "domain/task_message.hpp"

namespace dcp::worker {
namespace {

// A task whose outcome could not be recorded (a permanent database error or
// a bug): requeueing would loop, leaving it unacked would hold it for ever.
// It goes to the dead-letter queue.
processing::Outcome NotRecorded(const std::exception& e, std::optional<TaskId> task, int attempt) {
  return processing::Outcome{processing::Outcome::Action::kDeadLetter,
                             processing::Outcome::Kind::kFailed,
                             std::string("not recorded: ") + e.what(),
                             std::move(task),
                             attempt,
                             std::chrono::milliseconds(0),
                             std::nullopt};
}

// A smoothed duration in seconds (0: none yet).
void Smooth(double& average, double seconds) {
  average = average == 0 ? seconds : 0.8 * average + 0.2 * seconds;
}

}  // namespace

WorkerService::WorkerService(struct ev_loop* loop, amqp::ConsumerOptions consumer_options,
                             WorkerSettings settings, StoreFactory make_store,
                             Computation& computation, processing::RunContextCache& contexts,
                             WorkerMetrics& metrics)
    : loop_(loop),
      settings_(std::move(settings)),
      make_store_(std::move(make_store)),
      computation_(computation),
      contexts_(contexts),
      max_ahead_(std::max<std::size_t>(consumer_options.prefetch, 1)),
      consumer_(loop, std::move(consumer_options), *this),
      metrics_(metrics) {
  ev_async_init(&async_, &WorkerService::OnAsync);
  async_.data = this;
  ev_async_start(loop_, &async_);
  ev_signal_init(&sigterm_, &WorkerService::OnSignal, SIGTERM);
  ev_signal_init(&sigint_, &WorkerService::OnSignal, SIGINT);
  sigterm_.data = sigint_.data = this;
  ev_signal_start(loop_, &sigterm_);
  ev_signal_start(loop_, &sigint_);
  ev_timer_init(&drain_check_, &WorkerService::OnDrainCheck, 0.05, 0.05);
  drain_check_.data = this;
}

WorkerService::~WorkerService() {
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
  }
  stopper_.Stop();
  pool_cv_.notify_all();
  recorder_cv_.notify_all();
  for (auto& t : threads_) t.join();
  ev_async_stop(loop_, &async_);
  ev_signal_stop(loop_, &sigterm_);
  ev_signal_stop(loop_, &sigint_);
  ev_timer_stop(loop_, &drain_check_);
}

int WorkerService::Run() {
  for (int i = 0; i < settings_.concurrency; ++i)
    threads_.emplace_back([this, i] { PoolThread(i); });
  threads_.emplace_back([this] { RecorderThread(); });
  consumer_.Start();
  ev_run(loop_, 0);
  spdlog::info("stopped: {} finished, {} skipped, {} retried, {} failed", metrics_.finished.Value(),
               metrics_.skipped.Value(), metrics_.retried.Value(), metrics_.failed.Value());
  return 0;
}

void WorkerService::OnConnected() {
  consuming_ = !draining_;
  spdlog::info("consuming");
}

void WorkerService::OnDisconnected(const std::string& reason) {
  spdlog::warn("broker connection lost ({}); reconnecting", reason);
  if (consuming_.exchange(false)) metrics_.broker_reconnects.Increment();
  // Messages not being computed went back to the queue with the connection:
  // someone else computes them now (those STARTED here count an attempt).
  std::lock_guard lock(mutex_);
  in_flight_ -= incoming_.size() + ready_.size();
  incoming_.clear();
  ready_.clear();
  metrics_.in_flight.Set(static_cast<double>(in_flight_.load()));
}

void WorkerService::OnDelivery(amqp::Delivery delivery) {
  if (draining_) {
    consumer_.Reject(delivery.ref, /*requeue=*/true);
    return;
  }
  ++in_flight_;
  metrics_.in_flight.Increment();
  if (delivery.redelivered) metrics_.redelivered.Increment();
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    incoming_.push_back({delivery.ref, std::move(delivery.body), {}, {}, {}});
    wake = StartDue();
  }
  if (wake) recorder_cv_.notify_one();
}

void WorkerService::PoolThread(int index) {
  std::shared_ptr<TaskStore> store = make_store_();
  runtime::DbRetry retry(stopper_, settings_.db_retry, [this, index](const DbError& e, auto delay) {
    database_ok_ = false;
    spdlog::warn("pool {}: database unavailable ({}); retrying in {} ms", index, e.what(),
                 delay.count());
  });
  processing::TaskProcessor processor(*store, computation_, contexts_, retry, settings_.processor);
  for (;;) {
    Job job;
    bool wake = false;
    {
      std::unique_lock lock(mutex_);
      if (ready_.empty() && !closing_) {
        ++idle_threads_;  // the recorder starts a task for each idle thread
        if (StartDue()) recorder_cv_.notify_one();
        pool_cv_.wait(lock, [this] { return closing_ || !ready_.empty(); });
        --idle_threads_;
      }
      if (closing_) return;
      job = std::move(ready_.front());
      ready_.pop_front();
      wake = StartDue() || FinishDue(std::chrono::steady_clock::now());
    }
    if (wake) recorder_cv_.notify_one();
    Done done{job.ref, std::move(job.body), std::nullopt};
    metrics_.started.Increment();
    const auto began = std::chrono::steady_clock::now();
    {
      std::lock_guard lock(computing_mutex_);
      computing_[index] =
          Computing{job.task ? std::optional(job.task->task_id) : std::nullopt, began};
    }
    try {
      done.outcome = job.task ? processor.Compute(*job.task, job.start)
                              : processor.Malformed(done.body, job.malformed);
      database_ok_ = true;
    } catch (const runtime::Abandoned&) {
      spdlog::warn("task abandoned while stopping; it returns to the queue");
    } catch (const std::exception& e) {
      done.outcome = NotRecorded(e, job.task ? std::optional(job.task->task_id) : std::nullopt,
                                 job.start ? job.start->attempt : 0);
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    metrics_.duration.Observe(seconds);
    {
      std::lock_guard lock(computing_mutex_);
      computing_.erase(index);
    }
    if (done.outcome && done.outcome->action == processing::Outcome::Action::kFinish) {
      {
        std::lock_guard lock(mutex_);
        Smooth(task_seconds_, seconds);
        const auto now = std::chrono::steady_clock::now();
        if (finishing_.empty()) finishing_since_ = now;
        finishing_.push_back(
            {done.ref, std::move(done.body), std::move(*job.task), std::move(*done.outcome)});
        // The first one sets the recorder's deadline.
        wake = finishing_.size() == 1 || FinishDue(now);
      }
      if (wake) recorder_cv_.notify_one();
      continue;
    }
    std::vector<Done> one;
    one.push_back(std::move(done));
    Finished(std::move(one));
  }
}

std::size_t WorkerService::Lookahead() const {
  // The tasks the busy threads will reach within the batch window (or the
  // next round, if longer); none for tasks longer than that, or until both
  // times are known.
  if (task_seconds_ <= 0 || round_seconds_ <= 0) return 0;
  const double horizon =
      std::max(round_seconds_, std::chrono::duration<double>(settings_.batch_window).count());
  const double ahead = std::floor(settings_.concurrency * horizon / task_seconds_);
  return ahead >= static_cast<double>(max_ahead_) ? max_ahead_ : static_cast<std::size_t>(ahead);
}

std::size_t WorkerService::ReadyTarget() const {
  return std::min(idle_threads_ + Lookahead(), max_ahead_);
}

bool WorkerService::StartDue() const {
  const std::size_t target = ReadyTarget();
  // A thread waiting: now. Else refill at half the target, so that batches
  // are of about half, not of one.
  return !incoming_.empty() && ready_.size() < target &&
         (ready_.size() < idle_threads_ || 2 * ready_.size() <= target);
}

bool WorkerService::FinishDue(std::chrono::steady_clock::time_point now) const {
  if (finishing_.empty()) return false;
  return now - finishing_since_ >= settings_.batch_window ||
         2 * finishing_.size() >= max_ahead_ ||  // the broker sends more once these are acked
         (incoming_.empty() && ready_.empty());  // nothing to wait for
}

void WorkerService::RecorderThread() {
  std::shared_ptr<TaskStore> store = make_store_();
  runtime::DbRetry retry(stopper_, settings_.db_retry, [this](const DbError& e, auto delay) {
    database_ok_ = false;
    spdlog::warn("recorder: database unavailable ({}); retrying in {} ms", e.what(), delay.count());
  });
  for (;;) {
    std::vector<Job> starting;
    std::vector<Finishing> finishing;
    {
      std::unique_lock lock(mutex_);
      while (!closing_ && !StartDue() && !FinishDue(std::chrono::steady_clock::now())) {
        if (finishing_.empty()) {
          recorder_cv_.wait(lock);
        } else {
          recorder_cv_.wait_until(lock, finishing_since_ + settings_.batch_window);
        }
      }
      if (closing_) return;
      finishing.swap(finishing_);
      const std::size_t target = ReadyTarget();
      while (!incoming_.empty() && ready_.size() + starting.size() < target) {
        starting.push_back(std::move(incoming_.front()));
        incoming_.pop_front();
      }
    }
    const auto began = std::chrono::steady_clock::now();
    RecordRound(*store, retry, std::move(starting), std::move(finishing));
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    std::lock_guard lock(mutex_);
    Smooth(round_seconds_, seconds);
  }
}

void WorkerService::RecordRound(TaskStore& store, runtime::DbRetry& retry,
                                std::vector<Job> starting, std::vector<Finishing> finishing) {
  std::vector<const TaskMessage*> tasks;
  for (Job& job : starting) {
    auto decoded = DecodeTaskMessage(job.body);
    if (decoded) {
      job.task = std::move(decoded).value();
      tasks.push_back(&*job.task);
    } else {
      job.malformed = decoded.reason();
    }
  }
  std::vector<FinishItem> items;
  items.reserve(finishing.size());
  for (const Finishing& f : finishing) items.push_back({&f.task, &*f.outcome.result});

  std::vector<Done> done;
  done.reserve(finishing.size());
  BatchRecord record;
  try {
    record = retry([&] { return store.RecordBatch(items, tasks, settings_.processor.worker_id); });
    database_ok_ = true;
    for (std::size_t i = 0; i < finishing.size(); ++i) {
      finishing[i].outcome.Recorded(record.finished.at(i));
      done.push_back(
          {finishing[i].ref, std::move(finishing[i].body), std::move(finishing[i].outcome)});
    }
  } catch (const runtime::Abandoned&) {
    for (Finishing& f : finishing) done.push_back({f.ref, std::move(f.body), std::nullopt});
    for (Job& job : starting) done.push_back({job.ref, std::move(job.body), std::nullopt});
    Finished(std::move(done));
    return;
  } catch (const std::exception& e) {
    // One item the database refuses must not hold back the others: the
    // finished ones are recorded one by one here, the pool threads start
    // the others one by one (and report what fails).
    spdlog::warn("recorder: batch write failed ({}); recording one by one", e.what());
    record.started.clear();
    for (Finishing& f : finishing) done.push_back(FinishOne(store, retry, f));
  }
  std::size_t next = 0;
  {
    std::lock_guard lock(mutex_);
    for (Job& job : starting) {
      if (job.task && next < record.started.size()) job.start = record.started[next];
      if (job.task) ++next;
      ready_.push_back(std::move(job));
    }
  }
  if (!starting.empty()) pool_cv_.notify_all();
  if (!done.empty()) Finished(std::move(done));
}

WorkerService::Done WorkerService::FinishOne(TaskStore& store, runtime::DbRetry& retry,
                                             Finishing& f) {
  Done d{f.ref, std::move(f.body), std::nullopt};
  try {
    f.outcome.Recorded(retry([&] { return store.FinishTask(f.task, *f.outcome.result); }));
    d.outcome = std::move(f.outcome);
  } catch (const runtime::Abandoned&) {
  } catch (const std::exception& e) {
    d.outcome = NotRecorded(e, f.task.task_id, f.outcome.attempt);
  }
  return d;
}

void WorkerService::Finished(std::vector<Done> done) {
  {
    std::lock_guard lock(mutex_);
    for (Done& d : done) done_.push_back(std::move(d));
  }
  ev_async_send(loop_, &async_);
}

std::optional<std::string> WorkerService::current_task() const {
  std::lock_guard lock(computing_mutex_);
  const auto oldest = std::min_element(
      computing_.begin(), computing_.end(),
      [](const auto& a, const auto& b) { return a.second.since < b.second.since; });
  if (oldest == computing_.end() || !oldest->second.task) return std::nullopt;
  return oldest->second.task->ToString();
}

void WorkerService::OnAsync(struct ev_loop*, ev_async* w, int) {
  auto* self = static_cast<WorkerService*>(w->data);
  std::deque<Done> batch;
  {
    std::lock_guard lock(self->mutex_);
    batch.swap(self->done_);
  }
  for (auto& d : batch) self->Settle(std::move(d));
  self->MaybeFinishDrain();
}

void WorkerService::Settle(Done done) {
  --in_flight_;
  metrics_.in_flight.Decrement();
  if (!done.outcome) return;  // unacked: redelivered when the connection closes
  const processing::Outcome& o = *done.outcome;
  ++settled_;
  // Formatted only for a log line: not on the path of a finished task.
  const auto task = [&o] { return o.task ? o.task->ToString() : std::string("?"); };
  switch (o.kind) {
    case processing::Outcome::Kind::kFinished:
      metrics_.finished.Increment();
      break;
    case processing::Outcome::Kind::kDuplicate:
    case processing::Outcome::Kind::kSkipped:
      metrics_.skipped.Increment();
      spdlog::info("task {}: already finished, skipped", task());
      break;
    case processing::Outcome::Kind::kRetried:
      metrics_.retried.Increment();
      break;
    default:
      metrics_.failed.Increment();
      break;
  }
  if (o.action == processing::Outcome::Action::kAck) {
    if (settings_.crash_before_ack && o.kind == processing::Outcome::Kind::kFinished)
      raise(SIGKILL);
    consumer_.Ack(done.ref);
  } else if (o.action == processing::Outcome::Action::kRetry) {
    spdlog::warn("task {}: attempt {} failed, retrying in {} ms: {}", task(), o.attempt,
                 o.retry_delay.count(), o.reason);
    consumer_.Retry(done.ref, done.body, o.retry_delay, o.reason);
  } else {
    spdlog::warn("task {}: dead-lettered: {}", task(), o.reason);
    consumer_.DeadLetter(done.ref, std::move(done.body), o.reason);
  }
}

void WorkerService::BeginDrain() {
  if (draining_) {
    spdlog::warn("second signal: abandoning database waits");
    stopper_.Stop();
    return;
  }
  draining_ = true;
  consuming_ = false;
  spdlog::info("draining: {} task(s) in flight", in_flight_.load());
  consumer_.Cancel();
  std::deque<Job> not_started;  // those started are computed, recorded and acked
  {
    std::lock_guard lock(mutex_);
    not_started.swap(incoming_);
  }
  for (const Job& j : not_started) {
    consumer_.Reject(j.ref, /*requeue=*/true);
    --in_flight_;
    metrics_.in_flight.Decrement();
  }
  // Confirms of dead letters settle inside the consumer, without a callback:
  // look again until everything is settled.
  ev_timer_start(loop_, &drain_check_);
  MaybeFinishDrain();
}

void WorkerService::MaybeFinishDrain() {
  // Dead letters still awaiting their confirm count as unsettled.
  if (!draining_ || in_flight_ > 0 || consumer_.unsettled() > 0) return;
  ev_timer_stop(loop_, &drain_check_);
  consumer_.Close();
  ev_break(loop_, EVBREAK_ALL);
}

void WorkerService::OnDrainCheck(struct ev_loop*, ev_timer* w, int) {
  static_cast<WorkerService*>(w->data)->MaybeFinishDrain();
}

void WorkerService::OnSignal(struct ev_loop*, ev_signal* w, int) {
  static_cast<WorkerService*>(w->data)->BeginDrain();
}

}  // namespace dcp::worker
