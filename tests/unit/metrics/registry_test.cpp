#include "metrics/registry.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <stdexcept>

namespace dcp::metrics {
namespace {

TEST(Registry, RendersCounterAndGaugeWithHelpAndType) {
  Registry registry;
  registry.AddCounter("dcp_tasks_started_total", "Tasks whose computation started.").Increment(3);
  registry.AddGauge("dcp_tasks_in_flight", "Tasks being computed now.").Set(2);
  EXPECT_EQ(registry.Render(),
            "# HELP dcp_tasks_started_total Tasks whose computation started.\n"
            "# TYPE dcp_tasks_started_total counter\n"
            "dcp_tasks_started_total 3\n"
            "# HELP dcp_tasks_in_flight Tasks being computed now.\n"
            "# TYPE dcp_tasks_in_flight gauge\n"
            "dcp_tasks_in_flight 2\n");
}

TEST(Registry, RendersHistogramCumulativelyWithLeLast) {
  Registry registry;
  auto& histogram =
      registry.AddHistogram("dcp_task_duration_seconds", "Task time.", {0.5, 1}, {{"q", "t"}});
  histogram.Observe(0.25);
  histogram.Observe(0.75);
  histogram.Observe(3);
  EXPECT_EQ(registry.Render(),
            "# HELP dcp_task_duration_seconds Task time.\n"
            "# TYPE dcp_task_duration_seconds histogram\n"
            "dcp_task_duration_seconds_bucket{q=\"t\",le=\"0.5\"} 1\n"
            "dcp_task_duration_seconds_bucket{q=\"t\",le=\"1\"} 2\n"
            "dcp_task_duration_seconds_bucket{q=\"t\",le=\"+Inf\"} 3\n"
            "dcp_task_duration_seconds_sum{q=\"t\"} 4\n"
            "dcp_task_duration_seconds_count{q=\"t\"} 3\n");
}

TEST(Registry, SeriesOfOneFamilyShareHelpAndType) {
  Registry registry;
  registry.AddCounter("dcp_x_total", "X.", {{"queue", "a"}}).Increment();
  registry.AddCounter("dcp_x_total", "ignored", {{"queue", "b"}}).Increment(2);
  EXPECT_EQ(registry.Render(),
            "# HELP dcp_x_total X.\n"
            "# TYPE dcp_x_total counter\n"
            "dcp_x_total{queue=\"a\"} 1\n"
            "dcp_x_total{queue=\"b\"} 2\n");
}

TEST(Registry, AddingTheSameSeriesAgainReturnsIt) {
  Registry registry;
  auto& first = registry.AddCounter("dcp_y_total", "Y.");
  auto& second = registry.AddCounter("dcp_y_total", "Y.");
  EXPECT_EQ(&first, &second);
  auto& h1 = registry.AddHistogram("dcp_h", "H.", {1, 2});
  EXPECT_EQ(&h1, &registry.AddHistogram("dcp_h", "H.", {1, 2}));
  EXPECT_THROW(registry.AddHistogram("dcp_h", "H.", {1, 3}), std::invalid_argument);
}

TEST(Registry, RejectsAKindClashAndInvalidNames) {
  Registry registry;
  registry.AddCounter("dcp_z_total", "Z.");
  EXPECT_THROW(registry.AddGauge("dcp_z_total", "Z."), std::invalid_argument);
  EXPECT_THROW(registry.AddCounter("9lives", "bad"), std::invalid_argument);
  EXPECT_THROW(registry.AddCounter("dcp-dash", "bad"), std::invalid_argument);
  EXPECT_THROW(registry.AddCounter("dcp_ok", "bad", {{"__reserved", "v"}}), std::invalid_argument);
  EXPECT_THROW(registry.AddHistogram("dcp_hist", "bad", {1}, {{"le", "v"}}), std::invalid_argument);
  EXPECT_THROW(registry.AddHistogram("dcp_hist2", "bad", {}), std::invalid_argument);
  EXPECT_EQ(registry.Render().find("dcp_hist2"), std::string::npos);
}

TEST(Registry, EscapesLabelValuesAndHelp) {
  Registry registry;
  registry.AddGauge("dcp_g", "line one\nback\\slash", {{"path", "a\"b\\c\nd"}}).Set(0.5);
  EXPECT_EQ(registry.Render(),
            "# HELP dcp_g line one\\nback\\\\slash\n"
            "# TYPE dcp_g gauge\n"
            "dcp_g{path=\"a\\\"b\\\\c\\nd\"} 0.5\n");
}

TEST(Registry, RendersSpecialFloatValues) {
  Registry registry;
  auto& gauge = registry.AddGauge("dcp_special", "S.");
  gauge.Set(std::numeric_limits<double>::infinity());
  EXPECT_NE(registry.Render().find("dcp_special +Inf\n"), std::string::npos);
  gauge.Set(-1e-7);
  EXPECT_NE(registry.Render().find("dcp_special -1e-07\n"), std::string::npos);
}

}  // namespace
}  // namespace dcp::metrics
