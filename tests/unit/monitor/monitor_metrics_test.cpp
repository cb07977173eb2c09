#include "monitor/monitor_metrics.hpp"

#include <gtest/gtest.h>

#include "fake_stores.hpp"

namespace dcp::monitor {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

SysSeconds At(std::int64_t s) { return SysSeconds(seconds(1'700'000'000 + s)); }

// The line of `series` in the registry's text ("" if none).
std::string Line(const metrics::Registry& registry, const std::string& series) {
  const std::string text = registry.Render();
  const auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return "";
  return text.substr(at + 1, text.find('\n', at + 1) - at - 1);
}

MonitorMetricsSettings Settings(std::optional<CronSchedule> cron = std::nullopt) {
  MonitorMetricsSettings s;
  s.cron = std::move(cron);
  return s;  // job reference, queue dcp.tasks, stale after 30 s
}

TEST(MonitorMetrics, QueueGaugesCarryTheQueueLabel) {
  metrics::Registry registry;
  MonitorMetrics m(registry, Settings());
  m.SetQueue({"dcp.tasks", 7, 0, 3});
  EXPECT_EQ(Line(registry, "dcp_queue_messages_ready{queue=\"dcp.tasks\"}"),
            "dcp_queue_messages_ready{queue=\"dcp.tasks\"} 7");
  EXPECT_EQ(Line(registry, "dcp_queue_consumers{queue=\"dcp.tasks\"}"),
            "dcp_queue_consumers{queue=\"dcp.tasks\"} 0");
  EXPECT_EQ(Line(registry, "dcp_dead_letter_messages{queue=\"dcp.tasks\"}"),
            "dcp_dead_letter_messages{queue=\"dcp.tasks\"} 3");
  // No cron: no schedule gauges.
  EXPECT_EQ(registry.Render().find("dcp_schedule_"), std::string::npos);
}

TEST(MonitorMetrics, TheJobsNewestAndOldestActiveRun) {
  metrics::Registry registry;
  MonitorMetrics m(registry, Settings());
  m.SetRuns({At(300), At(200)}, At(1000));
  EXPECT_EQ(Line(registry, "dcp_run_last_started_timestamp_seconds{dcp_job=\"reference\"}"),
            "dcp_run_last_started_timestamp_seconds{dcp_job=\"reference\"} 1700000300");
  EXPECT_EQ(
      Line(registry, "dcp_run_oldest_active_started_timestamp_seconds{dcp_job=\"reference\"}"),
      "dcp_run_oldest_active_started_timestamp_seconds{dcp_job=\"reference\"} 1700000200");
  EXPECT_EQ(Line(registry, "dcp_run_active_seconds{dcp_job=\"reference\"}"),
            "dcp_run_active_seconds{dcp_job=\"reference\"} 800");
  // Every run ended: nothing active.
  m.SetRuns({At(300), std::nullopt}, At(1000));
  EXPECT_EQ(Line(registry, "dcp_run_active_seconds{dcp_job=\"reference\"}"),
            "dcp_run_active_seconds{dcp_job=\"reference\"} 0");
  m.SetRuns({}, At(1000));
  EXPECT_EQ(Line(registry, "dcp_run_last_started_timestamp_seconds{dcp_job=\"reference\"}"),
            "dcp_run_last_started_timestamp_seconds{dcp_job=\"reference\"} 0");
}

TEST(MonitorMetrics, WorkersFromTheHeartbeats) {
  metrics::Registry registry;
  MonitorMetrics m(registry, {"reference", "dcp.tasks", std::nullopt, TimeZone::Load("UTC").value(),
                              seconds(30)});
  fakes::FakeStore store;
  const auto now = std::chrono::floor<seconds>(std::chrono::system_clock::now());
  auto worker = [&](const std::string& id, SysSeconds seen, bool stopped) {
    WorkerView w;
    w.worker_id = id;
    w.last_seen = seen;
    if (stopped) w.stopped_at = seen;
    store.workers.push_back(w);
  };
  worker("live", now, false);
  worker("stopped", now - seconds(5), true);
  worker("stale-1", now - minutes(2), false);
  worker("stale-2", now - minutes(3), false);
  worker("stopped-long-ago", now - minutes(9), true);
  worker("killed-yesterday", now - std::chrono::hours(20), false);  // kept until pruned
  m.Refresh(store, now);
  EXPECT_EQ(Line(registry, "dcp_workers_live"), "dcp_workers_live 1");
  EXPECT_EQ(Line(registry, "dcp_workers_stale"), "dcp_workers_stale 2")
      << "a worker killed a day ago is no alert";
  m.SetBackendUp(false);
  EXPECT_EQ(Line(registry, "dcp_monitor_backend_up"), "dcp_monitor_backend_up 0");
  m.SetBackendUp(true);
  EXPECT_EQ(Line(registry, "dcp_monitor_backend_up"), "dcp_monitor_backend_up 1");
}

TEST(MonitorMetrics, ScheduleLastAndNextDue) {
  metrics::Registry registry;
  auto cron = CronSchedule::Parse("0 2 1 * *");  // 02:00 on the 1st
  ASSERT_TRUE(cron);
  MonitorMetrics m(registry, Settings(*cron));
  // 2023-11-14T22:13:20Z: last due 2023-11-01T02:00Z, next 2023-12-01T02:00Z.
  m.SetSchedule(At(0));
  EXPECT_EQ(Line(registry, "dcp_schedule_last_due_timestamp_seconds{dcp_job=\"reference\"}"),
            "dcp_schedule_last_due_timestamp_seconds{dcp_job=\"reference\"} 1698804000");
  EXPECT_EQ(Line(registry, "dcp_schedule_next_due_timestamp_seconds{dcp_job=\"reference\"}"),
            "dcp_schedule_next_due_timestamp_seconds{dcp_job=\"reference\"} 1701396000");
  // Past the next one: it becomes the last.
  m.SetSchedule(SysSeconds(seconds(1701396000 + 60)));
  EXPECT_EQ(Line(registry, "dcp_schedule_last_due_timestamp_seconds{dcp_job=\"reference\"}"),
            "dcp_schedule_last_due_timestamp_seconds{dcp_job=\"reference\"} 1701396000");
}

TEST(MonitorMetrics, LastDueAtTheMinuteAndNoneWithin8Years) {
  auto every = CronSchedule::Parse("*/5 * * * *");
  ASSERT_TRUE(every);
  const auto tz = TimeZone::Load("UTC").value();
  EXPECT_EQ(LastDue(*every, At(0), tz), SysSeconds(seconds(1'700'000'000 - 200)));  // 22:10
  EXPECT_EQ(LastDue(*every, SysSeconds(seconds(1'700'000'100)), tz),
            SysSeconds(seconds(1'700'000'100)));  // 22:15 itself
  auto never = CronSchedule::Parse("0 0 30 2 *");
  ASSERT_TRUE(never);
  EXPECT_EQ(LastDue(*never, At(0), tz), std::nullopt);
}

}  // namespace
}  // namespace dcp::monitor
