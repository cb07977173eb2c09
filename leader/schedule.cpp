#include "leader/schedule.hpp"

#include <spdlog/spdlog.h>

#include <csignal>

namespace dcp::leader {

Scheduler::Scheduler(struct ev_loop* loop, const TimeZone& tz, ScheduleSettings settings,
                     StartRun start_run)
    : loop_(loop),
      tz_(tz),
      settings_(std::move(settings)),
      start_run_(std::move(start_run)),
      retry_delays_(runtime::BackoffPolicy{settings_.retry_delay, settings_.max_retry_delay}) {
  ev_init(&timer_, &Scheduler::OnTimer);
  ev_init(&retry_, &Scheduler::OnRetry);
  timer_.data = retry_.data = this;
  ev_signal_init(&sigterm_, &Scheduler::OnSignal, SIGTERM);
  ev_signal_init(&sigint_, &Scheduler::OnSignal, SIGINT);
  sigterm_.data = sigint_.data = this;
}

Scheduler::~Scheduler() {
  ev_timer_stop(loop_, &timer_);
  ev_timer_stop(loop_, &retry_);
  ev_signal_stop(loop_, &sigterm_);
  ev_signal_stop(loop_, &sigint_);
}

void Scheduler::Start() {
  ev_signal_start(loop_, &sigterm_);
  ev_signal_start(loop_, &sigint_);
  if (settings_.run_at_start) {
    Fire(std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
  }
  Arm();
}

void Scheduler::Arm() {
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  const auto next = settings_.cron.Next(now, tz_);
  if (!next) {
    spdlog::error("the cron expression never fires again; nothing scheduled");
    return;
  }
  next_ = *next;
  const double delay = std::chrono::duration<double>(*next - now).count();
  spdlog::info("next run at {} ({})", FormatLocalMinute(tz_.ToLocal(*next)), tz_.name());
  // Re-armed on the wall clock after each firing, so clock jumps and long
  // runs cannot make it drift.
  ev_timer_set(&timer_, delay, 0.);
  ev_timer_start(loop_, &timer_);
}

void Scheduler::Fire(SysSeconds at) {
  ev_timer_stop(loop_, &retry_);  // a newer trigger replaces a pending retry
  planning::RunRequest request = settings_.request_template;
  request.trigger = "cron";
  std::tie(request.from, request.to) = RangeAt(settings_.range, at, tz_);
  try {
    start_run_(request);
    pending_.reset();
    retry_delays_.Reset();
  } catch (const std::exception& e) {
    if (!pending_ || *pending_ != at) retry_delays_.Reset();
    pending_ = at;
    const auto delay = std::chrono::duration_cast<std::chrono::seconds>(retry_delays_.Next());
    spdlog::error("scheduled run could not start ({}); trying again in {} s", e.what(),
                  delay.count());
    ev_timer_set(&retry_, static_cast<double>(delay.count()), 0.);
    ev_timer_start(loop_, &retry_);
  }
}

void Scheduler::OnRetry(struct ev_loop*, ev_timer* w, int) {
  auto* self = static_cast<Scheduler*>(w->data);
  if (self->pending_) self->Fire(*self->pending_);
}

void Scheduler::OnTimer(struct ev_loop*, ev_timer* w, int) {
  auto* self = static_cast<Scheduler*>(w->data);
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  if (now < self->next_) {  // woke early (timer precision, clock change): wait the rest
    self->Arm();
    return;
  }
  self->Fire(self->next_);
  self->Arm();
}

void Scheduler::OnSignal(struct ev_loop* loop, ev_signal*, int) {
  spdlog::info("signal received: stopping the schedule");
  ev_break(loop, EVBREAK_ALL);
}

}  // namespace dcp::leader
