#include "views/view_json.hpp"

#include <gtest/gtest.h>

namespace dcp::views {
namespace {

SysSeconds At(std::int64_t s) { return SysSeconds(std::chrono::seconds(1'700'000'000 + s)); }

TEST(ViewJson, RunHasCountsPerStatusAndProgress) {
  RunSummary r;
  r.id = RunId::New();
  r.trigger = "manual";
  r.status = RunStatus::kRunning;
  r.task_count = 10;
  r.created_at = At(0);
  r.counts = {4, 1, 4, 0, 1};
  const auto j = RunJson(r, At(10));
  EXPECT_EQ(j.at("run_id"), r.id.ToString());
  EXPECT_EQ(j.at("status"), "RUNNING");
  EXPECT_EQ(j.at("counts").at("CANCELLED"), 1);
  EXPECT_EQ(j.at("done"), 5);
  EXPECT_EQ(j.at("total"), 10);
  EXPECT_EQ(j.at("eta_seconds"), 10);
  EXPECT_TRUE(j.at("finished_at").is_null());
}

TEST(ViewJson, TaskHasWindowDurationAndErrorVerbatim) {
  TaskView t;
  t.id = TaskId::New();
  t.seq = 3;
  t.status = TaskStatus::kFailed;
  t.start = ParseLocalMinute("2024-01-01 00:00");
  t.end = ParseLocalMinute("2024-01-01 23:59");
  t.started_at = At(0);
  t.finished_at = At(4);
  t.error = "<script>alert(1)</script>";
  const auto j = TaskJson(t);
  EXPECT_EQ(j.at("start"), "2024-01-01 00:00");
  EXPECT_EQ(j.at("duration_seconds"), 4);
  EXPECT_EQ(j.at("error"), "<script>alert(1)</script>");  // escaping is the page's job
  EXPECT_EQ(j.at("seq"), 3);
}

TEST(ViewJson, WorkerIsAliveOnlyWhileBeatingAndNotStopped) {
  WorkerView w{"w1", "h", 1, At(0), At(90), std::nullopt, 3, 1, std::nullopt};
  EXPECT_TRUE(WorkerJson(w, At(100), std::chrono::seconds(30)).at("current_task").is_null());
  w.current_task = "0b9e1c52-8d2b-4f0e-9a43-1f7d2c0e6a11";
  EXPECT_EQ(WorkerJson(w, At(100), std::chrono::seconds(30)).at("current_task"), *w.current_task);
  EXPECT_TRUE(WorkerJson(w, At(100), std::chrono::seconds(30)).at("alive"));
  EXPECT_FALSE(WorkerJson(w, At(200), std::chrono::seconds(30)).at("alive"));
  w.stopped_at = At(95);
  EXPECT_FALSE(WorkerJson(w, At(100), std::chrono::seconds(30)).at("alive"));
  EXPECT_EQ(WorkerJson(w, At(100), std::chrono::seconds(30)).at("seconds_since_seen"), 10);
}

}  // namespace
}  // namespace dcp::views
