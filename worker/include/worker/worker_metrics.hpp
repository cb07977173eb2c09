#pragma once
// The worker's Prometheus metrics (scraped at /metrics). Thread-safe: the
// metrics are atomics, updated from the loop and from pool threads.
#include <string>

#include "metrics/registry.hpp"
#include "mysql/session.hpp"

namespace dcp::worker {

struct WorkerMetrics {
  explicit WorkerMetrics(metrics::Registry& r)
      : registry(r),
        started(r.AddCounter("dcp_tasks_started_total", "Task messages taken up for processing")),
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

  // The broker node consumed from (host:port; empty: none): its
  // dcp_broker_connected series is 1, the others' 0. From the loop thread.
  void ConsumingFrom(const std::string& endpoint) {
    if (!broker_node.empty()) BrokerConnected(broker_node).Set(0);
    broker_node = endpoint;
    if (!broker_node.empty()) BrokerConnected(broker_node).Set(1);
  }
  metrics::Gauge& BrokerConnected(const std::string& endpoint) {
    return registry.AddGauge("dcp_broker_connected", "1 for the broker node consumed from",
                             {{"node", endpoint}});
  }

  metrics::Registry& registry;
  std::string broker_node;
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

// Database connections per node (the sessions of the pool and recorder
// threads): which node is in use, and how often sessions connected. The
// process's session observer while it lives: make it before any session
// connects, destroy it after the last is gone.
class DatabaseNodeMetrics final : public mysql::SessionObserver {
 public:
  explicit DatabaseNodeMetrics(metrics::Registry& r) : registry_(r) {
    mysql::SetSessionObserver(this);
  }
  ~DatabaseNodeMetrics() override { mysql::SetSessionObserver(nullptr); }
  DatabaseNodeMetrics(const DatabaseNodeMetrics&) = delete;
  DatabaseNodeMetrics& operator=(const DatabaseNodeMetrics&) = delete;
  void Connected(const mysql::MysqlUrl& node) override {
    Sessions(node).Increment();
    registry_
        .AddCounter("dcp_database_connects_total", "Database connections opened, per node",
                    {{"node", node.Endpoint()}})
        .Increment();
  }
  void Disconnected(const mysql::MysqlUrl& node) override { Sessions(node).Decrement(); }

 private:
  metrics::Gauge& Sessions(const mysql::MysqlUrl& node) {
    return registry_.AddGauge("dcp_database_sessions", "Open database connections, per node",
                              {{"node", node.Endpoint()}});
  }
  metrics::Registry& registry_;
};

}  // namespace dcp::worker
