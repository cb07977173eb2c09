#include "views/run_progress.hpp"

#include <gtest/gtest.h>

#include "views/status_report.hpp"

namespace dcp::views {
namespace {

SysSeconds At(std::int64_t s) { return SysSeconds(std::chrono::seconds(1'700'000'000 + s)); }

RunSummary Running() {
  RunSummary r;
  r.id = RunId::New();
  r.trigger = "manual";
  r.status = RunStatus::kRunning;
  r.task_count = 100;
  r.created_at = At(0);
  r.counts = {50, 10, 35, 5, 0};
  return r;
}

TEST(RunProgress, RateAndEtaOfARunningRun) {
  const RunProgress p = ProgressOf(Running(), At(20));
  EXPECT_EQ(p.done, 40);
  EXPECT_EQ(p.total, 100);
  EXPECT_EQ(p.elapsed_seconds, 20);
  EXPECT_DOUBLE_EQ(p.rate, 2.0);
  EXPECT_EQ(p.eta_seconds, 30);
}

TEST(RunProgress, EndedRunHasNoEtaAndItsOwnDuration) {
  RunSummary r = Running();
  r.status = RunStatus::kCancelled;
  r.finished_at = At(10);
  r.counts = {0, 0, 40, 0, 60};
  const RunProgress p = ProgressOf(r, At(500));
  EXPECT_EQ(p.done, 100);
  EXPECT_EQ(p.elapsed_seconds, 10);
  EXPECT_FALSE(p.eta_seconds.has_value());
}

TEST(RunProgress, AFinishedRunHasItsAverageRateOverItsDuration) {
  RunSummary r = Running();
  r.status = RunStatus::kFinished;
  r.finished_at = At(50);
  r.counts = {0, 0, 100, 0, 0};
  const RunProgress p = ProgressOf(r, At(5000));
  EXPECT_EQ(p.elapsed_seconds, 50);
  EXPECT_DOUBLE_EQ(p.rate, 2.0);
  EXPECT_FALSE(p.under_a_second);
  const std::string text = StatusText(r, At(5000));
  EXPECT_NE(text.find("100/100  2.00 tasks/s"), std::string::npos) << text;
  EXPECT_NE(text.find("(50 s)"), std::string::npos) << text;
}

TEST(RunProgress, ARunThatEndedWithinItsFirstSecondIsNotShownAsZero) {
  RunSummary r = Running();
  r.status = RunStatus::kFinished;
  r.finished_at = At(0);  // created and finished in the same (whole) second
  r.counts = {0, 0, 100, 0, 0};
  const RunProgress p = ProgressOf(r, At(600));
  EXPECT_TRUE(p.under_a_second);
  EXPECT_DOUBLE_EQ(p.rate, 100.0);
  const std::string text = StatusText(r, At(600));
  EXPECT_EQ(text.find("  0.00 tasks/s"), std::string::npos) << text;
  EXPECT_NE(text.find(">= 100.00 tasks/s"), std::string::npos) << text;
  EXPECT_NE(text.find("(under 1 s)"), std::string::npos) << text;
  EXPECT_EQ(text.find("(0 s)"), std::string::npos) << text;
}

TEST(RunProgress, NoRateYetMeansNoEta) {
  RunSummary r = Running();
  r.counts = {100, 0, 0, 0, 0};
  EXPECT_FALSE(ProgressOf(r, At(0)).eta_seconds.has_value());
  EXPECT_FALSE(ProgressOf(r, At(30)).eta_seconds.has_value());
}

TEST(RunProgress, ExternalRunCountsItsRows) {
  RunSummary r = Running();
  r.task_count.reset();
  EXPECT_EQ(ProgressOf(r, At(1)).total, 100);
}

TEST(RunProgress, FormatsDurations) {
  EXPECT_EQ(FormatDuration(42), "42 s");
  EXPECT_EQ(FormatDuration(185), "3 min 05 s");
  EXPECT_EQ(FormatDuration(7620), "2 h 07 min");
  EXPECT_EQ(FormatUtc(At(0)), "2023-11-14T22:13:20Z");
}

TEST(StatusText, ShowsBarRateEtaAndStale) {
  RunSummary r = Running();
  r.stale = 2;
  const std::string text = StatusText(r, At(20));
  EXPECT_NE(text.find("[############..................] 40/100  2.00 tasks/s  ETA 30 s"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("STALE 2"), std::string::npos);
  EXPECT_NE(text.find("running for 20 s"), std::string::npos);
  EXPECT_EQ(text.find("CANCELLED"), std::string::npos);
}

TEST(StatusJson, IsOneLineWithRateAndEta) {
  const std::string json = StatusJson(Running(), At(20));
  EXPECT_EQ(json.find('\n'), std::string::npos);
  EXPECT_NE(json.find("\"eta_seconds\":30"), std::string::npos) << json;
}

}  // namespace
}  // namespace dcp::views
