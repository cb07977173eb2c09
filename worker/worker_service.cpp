#include "worker/worker_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <csignal>

#include "infra/common_options.hpp"
#include "worker/batch_recorder.hpp"

namespace dcp::worker {

using Clock = std::chrono::steady_clock;

WorkerService::WorkerService(struct ev_loop* loop, const amqp::ConsumerOptions& consumer_options,
                             WorkerSettings settings, StoreFactory make_store,
                             std::vector<QueueRoute> routes, processing::RunContextCache& contexts,
                             WorkerMetrics& metrics)
    : loop_(loop),
      settings_(std::move(settings)),
      make_store_(std::move(make_store)),
      routes_(std::move(routes)),
      contexts_(contexts),
      consumer_(loop, consumer_options, *this),
      settler_(consumer_settler_, metrics),
      policy_(settings_.concurrency, consumer_options.prefetch, settings_.batch_window),
      done_(loop, [this](std::deque<Done>& batch) { OnDone(batch); }),
      program_events_(loop, [this](std::deque<ProgramEvent>& events) { OnProgramEvents(events); }),
      metrics_(metrics) {
  done_.Start();
  program_events_.Start();
  ev_signal_init(&sigterm_, &WorkerService::OnSignal, SIGTERM);
  ev_signal_init(&sigint_, &WorkerService::OnSignal, SIGINT);
  sigterm_.data = sigint_.data = this;
  ev_signal_start(loop_, &sigterm_);
  ev_signal_start(loop_, &sigint_);
  ev_timer_init(&drain_check_, &WorkerService::OnDrainCheck, 0.05, 0.05);
  drain_check_.data = this;
  ev_timer_init(&drain_deadline_, &WorkerService::OnDrainDeadline,
                std::chrono::duration<double>(settings_.drain_timeout).count(), 0.);
  drain_deadline_.data = this;
}

WorkerService::~WorkerService() {
  {
    runtime::MutexLock lock(mutex_);
    closing_ = true;
  }
  stopper_.Stop();
  pool_cv_.NotifyAll();
  recorder_cv_.NotifyAll();
  if (preparer_.joinable()) {
    // Stopped while a program was starting: end the start-up waits.
    if (!prepared_) {
      for (const QueueRoute& route : routes_) route.computation->Abandon();
    }
    preparer_.join();
  }
  for (auto& t : threads_) t.join();
  done_.Stop();
  program_events_.Stop();
  ev_signal_stop(loop_, &sigterm_);
  ev_signal_stop(loop_, &sigint_);
  ev_timer_stop(loop_, &drain_check_);
  ev_timer_stop(loop_, &drain_deadline_);
}

int WorkerService::Run() {
  for (int i = 0; i < settings_.concurrency; ++i)
    threads_.emplace_back([this, i] { PoolThread(i); });
  threads_.emplace_back([this] { RecorderThread(); });
  preparer_ = std::thread([this] {
    ProgramEvent event{.prepared = true, .error = {}};
    for (const QueueRoute& route : routes_) {
      if (auto ready = route.computation->Prepare(settings_.concurrency); !ready) {
        event.error = ready.reason();
        break;
      }
    }
    prepared_ = true;
    program_events_.Post(std::move(event));
  });
  ev_run(loop_, 0);
  spdlog::info("stopped: {} finished, {} skipped, {} retried, {} failed", metrics_.finished.Value(),
               metrics_.skipped.Value(), metrics_.retried.Value(), metrics_.failed.Value());
  return exit_code_;
}

void WorkerService::OnConnected() {
  consuming_ = !draining_;
  metrics_.ConsumingFrom(consumer_.endpoint());
  spdlog::info("consuming from {}", consumer_.endpoint());
}

void WorkerService::OnDisconnected(const std::string& reason) {
  spdlog::warn("broker connection lost ({}); reconnecting", reason);
  metrics_.ConsumingFrom("");
  if (consuming_.exchange(false)) metrics_.broker_reconnects.Increment();
  // Messages not being computed went back to the queue with the connection:
  // someone else computes them now (those STARTED here count an attempt).
  runtime::MutexLock lock(mutex_);
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
    runtime::MutexLock lock(mutex_);
    incoming_.push_back({delivery.ref, std::move(delivery.body), {}, {}, {}, delivery.queue});
    wake = StartDue();
  }
  if (wake) recorder_cv_.NotifyOne();
}

bool WorkerService::ready() const {
  if (!consuming_.load() || !database_ok_.load()) return false;
  return std::all_of(routes_.begin(), routes_.end(), [](const QueueRoute& route) {
    return route.computation->health() == Computation::Health::kReady;
  });
}

void WorkerService::OnProgramEvents(std::deque<ProgramEvent>& events) {
  for (const ProgramEvent& event : events) {
    if (event.prepared && event.error.empty()) {
      if (!draining_) consumer_.Start();
      continue;
    }
    if (draining_) continue;
    spdlog::error("{}: the worker hands its messages back and exits ({})", event.error,
                  kExitProgramNotReady);
    exit_code_ = kExitProgramNotReady;
    BeginDrain();
  }
}

PipelineState WorkerService::State() const {
  return {incoming_.size(), ready_.size(), finishing_.size(), idle_threads_, finishing_since_};
}

bool WorkerService::StartDue() const { return policy_.StartDue(State()); }

bool WorkerService::FinishDue(Clock::time_point now) const {
  return policy_.FinishDue(State(), now);
}

void WorkerService::PoolThread(int index) {
  std::shared_ptr<TaskStore> store = make_store_();
  runtime::DbRetry retry(stopper_, settings_.db_retry, [this, index](const DbError& e, auto delay) {
    database_ok_ = false;
    spdlog::warn("pool {}: database unavailable ({}); retrying in {} ms", index, e.what(),
                 delay.count());
  });
  std::vector<processing::TaskProcessor> processors;  // by queue
  processors.reserve(routes_.size());
  for (const QueueRoute& route : routes_)
    processors.emplace_back(*store, *route.computation, contexts_, retry, route.processor);
  for (;;) {
    Job job;
    bool wake = false;
    {
      runtime::MutexLock lock(mutex_);
      if (ready_.empty() && !closing_) {
        ++idle_threads_;  // the recorder starts a task for each idle thread
        if (StartDue()) recorder_cv_.NotifyOne();
        while (!closing_ && ready_.empty()) pool_cv_.Wait(mutex_);
        --idle_threads_;
      }
      if (closing_) return;
      job = std::move(ready_.front());
      ready_.pop_front();
      wake = StartDue() || FinishDue(Clock::now());
    }
    if (wake) recorder_cv_.NotifyOne();
    Done done{job.ref, std::move(job.body), std::nullopt};
    metrics_.started.Increment();
    const auto began = Clock::now();
    {
      runtime::MutexLock lock(computing_mutex_);
      computing_[index] =
          Computing{job.task ? std::optional(job.task->task_id) : std::nullopt, began};
    }
    try {
      processing::TaskProcessor& processor = processors.at(job.queue);
      done.outcome = job.task ? processor.Compute(*job.task, job.start)
                              : processor.Malformed(done.body, job.malformed);
      database_ok_ = true;
    } catch (const runtime::Abandoned&) {
      spdlog::warn("task abandoned while stopping; it returns to the queue");
    } catch (const std::exception& e) {
      done.outcome = processing::Outcome::NotRecorded(
          e.what(), job.task ? std::optional(job.task->task_id) : std::nullopt,
          job.start ? job.start->attempt : 0);
    }
    const auto took = Clock::now() - began;
    metrics_.duration.Observe(std::chrono::duration<double>(took).count());
    if (job.task && routes_.at(job.queue).computation->health() == Computation::Health::kBroken &&
        !gave_up_.exchange(true)) {
      program_events_.Post({.prepared = false, .error = "a computation's program cannot start"});
    }
    {
      runtime::MutexLock lock(computing_mutex_);
      computing_.erase(index);
    }
    if (done.outcome && done.outcome->Is<processing::Finish>()) {
      {
        runtime::MutexLock lock(mutex_);
        policy_.TaskComputed(took);
        const auto now = Clock::now();
        if (finishing_.empty()) finishing_since_ = now;
        finishing_.push_back(
            {done.ref, std::move(done.body), std::move(*job.task), std::move(*done.outcome)});
        // The first one sets the recorder's deadline.
        wake = finishing_.size() == 1 || FinishDue(now);
      }
      if (wake) recorder_cv_.NotifyOne();
      continue;
    }
    done_.Post(std::move(done));
  }
}

void WorkerService::RecorderThread() {
  std::shared_ptr<TaskStore> store = make_store_();
  runtime::DbRetry retry(stopper_, settings_.db_retry, [this](const DbError& e, auto delay) {
    database_ok_ = false;
    spdlog::warn("recorder: database unavailable ({}); retrying in {} ms", e.what(), delay.count());
  });
  BatchRecorder recorder(*store, retry, settings_.processor);
  for (;;) {
    std::vector<Job> starting;
    std::vector<Finishing> finishing;
    {
      runtime::MutexLock lock(mutex_);
      while (!closing_ && !StartDue() && !FinishDue(Clock::now())) {
        if (finishing_.empty()) {
          recorder_cv_.Wait(mutex_);
        } else {
          recorder_cv_.WaitUntil(mutex_, policy_.FinishDeadline(finishing_since_));
        }
      }
      if (closing_) return;
      finishing.swap(finishing_);
      const std::size_t target = policy_.ReadyTarget(idle_threads_);
      while (!incoming_.empty() && ready_.size() + starting.size() < target) {
        starting.push_back(std::move(incoming_.front()));
        incoming_.pop_front();
      }
    }
    const auto began = Clock::now();
    RecordedRound round = recorder.Record(std::move(starting), std::move(finishing));
    if (round.written) database_ok_ = true;
    {
      runtime::MutexLock lock(mutex_);
      for (Job& job : round.started) ready_.push_back(std::move(job));
    }
    if (!round.started.empty()) pool_cv_.NotifyAll();
    if (!round.done.empty()) done_.PostAll(round.done);
    const auto took = Clock::now() - began;
    runtime::MutexLock lock(mutex_);
    policy_.RoundRecorded(took);
  }
}

std::optional<std::string> WorkerService::current_task() const {
  runtime::MutexLock lock(computing_mutex_);
  const auto oldest = std::min_element(
      computing_.begin(), computing_.end(),
      [](const auto& a, const auto& b) { return a.second.since < b.second.since; });
  if (oldest == computing_.end() || !oldest->second.task) return std::nullopt;
  return oldest->second.task->ToString();
}

void WorkerService::OnDone(std::deque<Done>& batch) {
  for (Done& done : batch) {
    --in_flight_;
    metrics_.in_flight.Decrement();
    if (!done.outcome) continue;  // unacked: redelivered when the connection closes
    ++settled_;
    settler_.Settle(done.ref, done.body, *done.outcome);
  }
  MaybeFinishDrain();
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
  ev_timer_start(loop_, &drain_deadline_);
  std::deque<Job> not_started;  // those started are computed, recorded and acked
  {
    runtime::MutexLock lock(mutex_);
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
  ev_timer_stop(loop_, &drain_deadline_);
  consumer_.Close();
  ev_break(loop_, EVBREAK_ALL);
}

void WorkerService::OnDrainDeadline(struct ev_loop*, ev_timer* w, int) {
  auto* self = static_cast<WorkerService*>(w->data);
  spdlog::warn(
      "drain deadline ({} s) passed: {} delivery(ies) left to the broker, to be redelivered",
      std::chrono::duration_cast<std::chrono::seconds>(self->settings_.drain_timeout).count(),
      self->in_flight_.load());
  for (const QueueRoute& route : self->routes_) route.computation->Abandon();
  self->stopper_.Stop();
  ev_timer_stop(self->loop_, &self->drain_check_);
  self->exit_code_ = kExitDrainDeadline;
  ev_break(self->loop_, EVBREAK_ALL);
}

void WorkerService::OnDrainCheck(struct ev_loop*, ev_timer* w, int) {
  static_cast<WorkerService*>(w->data)->MaybeFinishDrain();
}

void WorkerService::OnSignal(struct ev_loop*, ev_signal* w, int) {
  static_cast<WorkerService*>(w->data)->BeginDrain();
}

}  // namespace dcp::worker
