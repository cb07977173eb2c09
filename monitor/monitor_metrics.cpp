#include "monitor/monitor_metrics.hpp"

#include <algorithm>

namespace dcp::monitor {
namespace {

double Seconds(SysSeconds t) { return static_cast<double>(t.time_since_epoch().count()); }

constexpr std::size_t kWorkers = 10000;
// How long a silent worker that never stopped counts as stale (SetWorkers).
constexpr std::chrono::hours kStaleHorizon{1};

}  // namespace

std::optional<SysSeconds> LastDue(const CronSchedule& cron, SysSeconds now, const TimeZone& tz) {
  using std::chrono::hours;
  // The shortest look-back that holds a firing, then forward to the last one.
  for (const auto back : {hours(1), hours(24), hours(24 * 32), hours(24 * 367), hours(24 * 2923)}) {
    std::optional<SysSeconds> last;
    for (auto t = cron.Next(now - back, tz); t && *t <= now; t = cron.Next(*t, tz)) last = *t;
    if (last) return last;
  }
  return std::nullopt;
}

MonitorMetrics::MonitorMetrics(metrics::Registry& registry, MonitorMetricsSettings settings)
    : settings_(std::move(settings)),
      ready_(registry.AddGauge("dcp_queue_messages_ready", "Messages ready in the task queue",
                               {{"queue", settings_.queue}})),
      consumers_(registry.AddGauge("dcp_queue_consumers", "Consumers of the task queue",
                                   {{"queue", settings_.queue}})),
      dead_(registry.AddGauge("dcp_dead_letter_messages",
                              "Messages in the task queue's dead-letter queue (<queue>.dead)",
                              {{"queue", settings_.queue}})),
      last_started_(registry.AddGauge("dcp_run_last_started_timestamp_seconds",
                                      "Creation time of the job's newest run (0: none)",
                                      {{"dcp_job", settings_.job}})),
      oldest_active_(
          registry.AddGauge("dcp_run_oldest_active_started_timestamp_seconds",
                            "Creation time of the job's oldest PUBLISHING or RUNNING run (0: none)",
                            {{"dcp_job", settings_.job}})),
      active_seconds_(registry.AddGauge("dcp_run_active_seconds",
                                        "Age of the job's oldest active run (0: none active)",
                                        {{"dcp_job", settings_.job}})),
      live_(registry.AddGauge("dcp_workers_live",
                              "Workers not stopped whose heartbeat is within DCP_STALE_AFTER")),
      stale_(
          registry.AddGauge("dcp_workers_stale",
                            "Workers not stopped whose heartbeat is older than DCP_STALE_AFTER")),
      up_(registry.AddGauge("dcp_monitor_backend_up",
                            "1 when the last refresh read the database and the broker, else 0")) {
  if (settings_.cron) {
    last_due_ = &registry.AddGauge("dcp_schedule_last_due_timestamp_seconds",
                                   "The job's last cron time at or before now (0: none)",
                                   {{"dcp_job", settings_.job}});
    next_due_ =
        &registry.AddGauge("dcp_schedule_next_due_timestamp_seconds",
                           "The job's next cron time (0: none)", {{"dcp_job", settings_.job}});
  }
}

void MonitorMetrics::SetQueue(const QueueSample& q) {
  ready_.Set(static_cast<double>(q.depth));
  consumers_.Set(static_cast<double>(q.consumers));
  dead_.Set(static_cast<double>(q.dead));
}

void MonitorMetrics::SetRuns(const JobRunTimes& times, SysSeconds now) {
  const auto& last = times.newest_created;
  const auto& oldest_active = times.oldest_active_created;
  last_started_.Set(last ? Seconds(*last) : 0);
  oldest_active_.Set(oldest_active ? Seconds(*oldest_active) : 0);
  active_seconds_.Set(oldest_active ? static_cast<double>((now - *oldest_active).count()) : 0);
}

void MonitorMetrics::SetWorkers(std::int64_t live, std::int64_t recent_not_stopped) {
  live_.Set(static_cast<double>(live));
  stale_.Set(static_cast<double>(std::max<std::int64_t>(0, recent_not_stopped - live)));
}

void MonitorMetrics::Refresh(RunReadModel& reads, SysSeconds now) {
  SetRuns(reads.RunTimesOf(settings_.job), now);
  const auto live = reads.ListWorkers(settings_.stale_after, kWorkers).size();
  const auto all = reads.ListWorkers(std::nullopt, kWorkers);
  const auto not_stopped = std::count_if(all.begin(), all.end(), [&](const WorkerView& w) {
    return !w.stopped_at && w.last_seen >= now - kStaleHorizon;
  });
  SetWorkers(static_cast<std::int64_t>(live), not_stopped);
}

void MonitorMetrics::SetSchedule(SysSeconds now) {
  if (!settings_.cron) return;
  if (!next_due_at_ || *next_due_at_ <= now) {
    // Computed when the next cron time has passed, not at every refresh.
    last_due_at_ = LastDue(*settings_.cron, now, settings_.time_zone);
    const auto next = settings_.cron->Next(now, settings_.time_zone);
    next_due_at_ = next ? std::optional<SysSeconds>(*next) : std::nullopt;
  }
  last_due_->Set(last_due_at_ ? Seconds(*last_due_at_) : 0);
  next_due_->Set(next_due_at_ ? Seconds(*next_due_at_) : 0);
}

void MonitorMetrics::SetBackendUp(bool up) { up_.Set(up ? 1 : 0); }

}  // namespace dcp::monitor
