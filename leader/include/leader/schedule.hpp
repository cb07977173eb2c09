#pragma once
// The built-in schedule: a run at each cron time, its date range relative to
// the trigger time (e.g. the previous full month), on a libev timer. The
// same run lock as `run`, so a slow run is never overlapped: a trigger that
// finds the lock or an active run is skipped with a log line.
#include <ev.h>

#include <functional>
#include <optional>
#include <string_view>

#include "domain/cron_schedule.hpp"
#include "domain/local_time.hpp"
#include "domain/run_range.hpp"
#include "planning/run_request.hpp"
#include "runtime/backoff.hpp"

namespace dcp::leader {

struct ScheduleSettings {
  CronSchedule cron;
  RangeKind range = RangeKind::kPreviousMonth;
  planning::RunRequest request_template;  // window and selections; the range is filled in
  bool run_at_start = false;              // also one run right away (compose: a run at `up`)
  // A run that could not start (a server unreachable) is tried again after
  // this delay, doubling, until it starts or the next cron time comes.
  std::chrono::seconds retry_delay{15};
  std::chrono::seconds max_retry_delay{std::chrono::minutes(10)};
};

// Fires `start_run` at each cron time; `start_run` throws when the run could
// not start (it is then retried, see ScheduleSettings). Loop thread only; SIGTERM/SIGINT stop
// the loop (a run in progress completes first: it runs on the loop thread).
class Scheduler {
 public:
  using StartRun = std::function<void(const planning::RunRequest&)>;
  Scheduler(struct ev_loop* loop, const TimeZone& tz, ScheduleSettings settings,
            StartRun start_run);
  ~Scheduler();
  void Start();

 private:
  void Arm();
  void Fire(SysSeconds at);
  static void OnTimer(struct ev_loop* loop, ev_timer* w, int revents);
  static void OnRetry(struct ev_loop* loop, ev_timer* w, int revents);
  static void OnSignal(struct ev_loop* loop, ev_signal* w, int revents);

  struct ev_loop* loop_;
  TimeZone tz_;
  ScheduleSettings settings_;
  StartRun start_run_;
  SysMinutes next_{};
  ev_timer timer_{};
  ev_timer retry_{};
  std::optional<SysSeconds> pending_;  // a trigger time whose run has not started yet
  runtime::Backoff retry_delays_;      // of the pending run
  ev_signal sigterm_{}, sigint_{};
};

}  // namespace dcp::leader
