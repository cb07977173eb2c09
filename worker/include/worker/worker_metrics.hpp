#pragma once
// The worker's Prometheus metrics (scraped at /metrics). Thread-safe: the
// metrics are atomics, updated from the loop and from pool threads.
#include "metrics/registry.hpp"

namespace dcp::worker {

struct WorkerMetrics {
  explicit WorkerMetrics(metrics::Registry& r)
      : started(r.AddCounter("dcp_tasks_started_total", "Task messages taken up for processing")),
        finished(r.AddCounter("dcp_tasks_finished_total", "Tasks computed and recorded FINISHED")),
        failed(r.AddCounter("dcp_tasks_failed_total", "Tasks recorded FAILED (dead-lettered)")),
        retried(r.AddCounter("dcp_tasks_retried_total", "Failed attempts scheduled for a retry")),
        skipped(r.AddCounter("dcp_tasks_skipped_total", "Deliveries of tasks already FINISHED")),
        redelivered(r.AddCounter("dcp_tasks_redelivered_total",
                                 "Deliveries the broker flagged as redelivered")),
        broker_reconnects(
            r.AddCounter("dcp_broker_reconnects_total", "Lost broker connections (reconnected)")),
        in_flight(r.AddGauge("dcp_tasks_in_flight", "Deliveries received and not yet settled")),
        duration(r.AddHistogram("dcp_task_duration_seconds", "Processing time of one task",
                                metrics::ExponentialBuckets(0.001, 4, 12))) {}

  metrics::Counter& started;
  metrics::Counter& finished;
  metrics::Counter& failed;
  metrics::Counter& retried;
  metrics::Counter& skipped;
  metrics::Counter& redelivered;
  metrics::Counter& broker_reconnects;
  metrics::Gauge& in_flight;
  metrics::Histogram& duration;
};

}  // namespace dcp::worker
