#pragma once
// dcp-monitor's gauges on /metrics, the inputs of openshift/alerts: the
// queue, the job's runs and schedule, the workers' heartbeats and whether
// the backend can read the servers. Updated by the backend thread at each
// refresh (see MonitorService); the registry renders them from any thread.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/cron_schedule.hpp"
#include "domain/local_time.hpp"
#include "metrics/registry.hpp"
#include "monitor/monitor_service.hpp"
#include "ports/run_read_model.hpp"

namespace dcp::monitor {

struct MonitorMetricsSettings {
  // The dcp_job label of the run and schedule gauges (not "job": Prometheus
  // sets that to the scrape job).
  std::string job = "reference";
  std::string queue = "dcp.tasks";  // the queue label
  // The job's cron (DCP_CRON or the job's schedule): the schedule gauges;
  // none: they are not exported.
  std::optional<CronSchedule> cron;
  TimeZone time_zone = TimeZone::Load("UTC").value();
  std::chrono::seconds stale_after{30};  // a worker not seen this long is stale
};

class MonitorMetrics {
 public:
  // Registers the gauges (the schedule's only with a cron).
  MonitorMetrics(metrics::Registry& registry, MonitorMetricsSettings settings);

  void SetQueue(const QueueSample& q);
  // The job's newest run's start, and its oldest active one's start and age
  // at `now` (0 and 0 when none is active). No run of the job: last started
  // is 0.
  void SetRuns(const JobRunTimes& times, SysSeconds now);
  // Heartbeats: live = not stopped and seen within stale_after; stale = not
  // stopped and not seen within stale_after, but within the last hour. A
  // worker killed without stopping (SIGKILL, a node lost) keeps its row
  // until it is pruned (DCP_MONITOR_WORKER_RETENTION): counted for an hour,
  // its alert fires and then resolves, instead of lasting a day.
  void SetWorkers(std::int64_t live, std::int64_t recent_not_stopped);
  // Reads the runs and workers from `reads` (throws its DbError).
  void Refresh(RunReadModel& reads, SysSeconds now);
  // The schedule's last and next due times at `now`.
  void SetSchedule(SysSeconds now);
  void SetBackendUp(bool up);

 private:
  MonitorMetricsSettings settings_;
  metrics::Gauge& ready_;
  metrics::Gauge& consumers_;
  metrics::Gauge& dead_;
  metrics::Gauge& last_started_;
  metrics::Gauge& oldest_active_;
  metrics::Gauge& active_seconds_;
  metrics::Gauge& live_;
  metrics::Gauge& stale_;
  metrics::Gauge& up_;
  metrics::Gauge* last_due_ = nullptr;
  metrics::Gauge* next_due_ = nullptr;
  std::optional<SysSeconds> last_due_at_, next_due_at_;  // cached: Next is walked once
};

// The last firing of `cron` at or before `now` (searched back up to 8
// years), or nullopt.
std::optional<SysSeconds> LastDue(const CronSchedule& cron, SysSeconds now, const TimeZone& tz);

}  // namespace dcp::monitor
