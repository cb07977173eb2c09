#include "worker/worker_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <csignal>

#include "domain/task_message.hpp"

namespace dcp::worker {

WorkerService::WorkerService(struct ev_loop* loop, amqp::ConsumerOptions consumer_options,
                             WorkerSettings settings, StoreFactory make_store,
                             Computation& computation, RunContextCache& contexts,
                             WorkerMetrics& metrics)
    : loop_(loop),
      settings_(std::move(settings)),
      make_store_(std::move(make_store)),
      computation_(computation),
      contexts_(contexts),
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
  jobs_cv_.notify_all();
  for (auto& t : threads_) t.join();
  ev_async_stop(loop_, &async_);
  ev_signal_stop(loop_, &sigterm_);
  ev_signal_stop(loop_, &sigint_);
  ev_timer_stop(loop_, &drain_check_);
}

int WorkerService::Run() {
  for (int i = 0; i < settings_.concurrency; ++i)
    threads_.emplace_back([this, i] { PoolThread(i); });
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
  // Messages not started yet went back to the queue with the connection:
  // someone else computes them now.
  std::lock_guard lock(mutex_);
  in_flight_ -= jobs_.size();
  jobs_.clear();
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
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back({delivery.ref, std::move(delivery.body)});
  }
  jobs_cv_.notify_one();
}

void WorkerService::PoolThread(int index) {
  std::shared_ptr<TaskStore> store = make_store_();
  DbRetry retry(stopper_, settings_.db_retry, [this, index](const DbError& e, auto delay) {
    database_ok_ = false;
    spdlog::warn("pool {}: database unavailable ({}); retrying in {} ms", index, e.what(),
                 delay.count());
  });
  TaskProcessor processor(*store, computation_, contexts_, retry, settings_.processor);
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      jobs_cv_.wait(lock, [this] { return closing_ || !jobs_.empty(); });
      if (closing_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    Done done{job.ref, std::move(job.body), std::nullopt};
    metrics_.started.Increment();
    const auto began = std::chrono::steady_clock::now();
    {
      const auto task = PeekTaskId(done.body);
      std::lock_guard lock(computing_mutex_);
      computing_[index] = Computing{task ? task->ToString() : "", began};
    }
    try {
      done.outcome = processor.Process(done.body);
      database_ok_ = true;
      metrics_.duration.Observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count());
    } catch (const Abandoned&) {
      spdlog::warn("task abandoned while stopping; it returns to the queue");
    } catch (const std::exception& e) {
      // A permanent database error or a bug: requeueing would loop, leaving
      // it unacked would hold it for ever. It goes to the dead-letter queue.
      done.outcome = Outcome{Outcome::Action::kDeadLetter,
                             Outcome::Kind::kFailed,
                             std::string("not recorded: ") + e.what(),
                             std::nullopt,
                             0,
                             std::chrono::milliseconds(0)};
    }
    {
      std::lock_guard lock(computing_mutex_);
      computing_.erase(index);
    }
    {
      std::lock_guard lock(mutex_);
      done_.push_back(std::move(done));
    }
    ev_async_send(loop_, &async_);
  }
}

std::optional<std::string> WorkerService::current_task() const {
  std::lock_guard lock(computing_mutex_);
  const auto oldest = std::min_element(
      computing_.begin(), computing_.end(),
      [](const auto& a, const auto& b) { return a.second.since < b.second.since; });
  if (oldest == computing_.end() || oldest->second.task.empty()) return std::nullopt;
  return oldest->second.task;
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
  const Outcome& o = *done.outcome;
  ++settled_;
  const std::string task = o.task ? o.task->ToString() : "?";
  switch (o.kind) {
    case Outcome::Kind::kFinished:
      metrics_.finished.Increment();
      break;
    case Outcome::Kind::kDuplicate:
    case Outcome::Kind::kSkipped:
      metrics_.skipped.Increment();
      spdlog::info("task {}: already finished, skipped", task);
      break;
    case Outcome::Kind::kRetried:
      metrics_.retried.Increment();
      break;
    default:
      metrics_.failed.Increment();
      break;
  }
  if (o.action == Outcome::Action::kAck) {
    if (settings_.crash_before_ack && o.kind == Outcome::Kind::kFinished) raise(SIGKILL);
    consumer_.Ack(done.ref);
  } else if (o.action == Outcome::Action::kRetry) {
    spdlog::warn("task {}: attempt {} failed, retrying in {} ms: {}", task, o.attempt,
                 o.retry_delay.count(), o.reason);
    consumer_.Retry(done.ref, done.body, o.retry_delay, o.reason);
  } else {
    spdlog::warn("task {}: dead-lettered: {}", task, o.reason);
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
  std::deque<Job> not_started;
  {
    std::lock_guard lock(mutex_);
    not_started.swap(jobs_);
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
