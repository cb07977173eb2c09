#include "planning/task_plan.hpp"

#include <gtest/gtest.h>

#include <set>

#include "planning/run_request.hpp"

namespace dcp::planning {
namespace {

Window Day(const char* date) {
  const LocalMinute start = ParseLocalMinute(std::string(date) + " 00:00").value();
  return Window{start, start + std::chrono::minutes(24 * 60 - 1)};
}

TaskPlan ThreeDaysTwoFeeders() {
  return TaskPlan({Day("2024-01-01"), Day("2024-01-02"), Day("2024-01-03")}, {"F1", "F2"});
}

std::vector<PlannedTask> Gather(const TaskBatches& plan, std::size_t max,
                                std::vector<std::size_t>* sizes = nullptr) {
  std::vector<PlannedTask> all;
  plan.ForEachBatch(max, [&](std::span<const PlannedTask> batch) {
    if (sizes) sizes->push_back(batch.size());
    all.insert(all.end(), batch.begin(), batch.end());
  });
  return all;
}

TEST(TaskPlan, OrdersByWindowThenSelectionWithSeqFromOne) {
  const auto plan = ThreeDaysTwoFeeders();
  ASSERT_EQ(plan.size(), 6u);
  const auto tasks = Gather(plan, 100);
  ASSERT_EQ(tasks.size(), 6u);
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    EXPECT_EQ(tasks[i].seq, static_cast<std::int64_t>(i) + 1);
    EXPECT_EQ(tasks[i].selection, i % 2 == 0 ? "F1" : "F2");
  }
  EXPECT_EQ(FormatLocalMinute(tasks[2].start), "2024-01-02 00:00");
  EXPECT_EQ(FormatLocalMinute(tasks[5].end), "2024-01-03 23:59");
}

TEST(TaskPlan, GivesEveryTaskItsOwnIdAndTheSameOnEveryPass) {
  const auto plan = ThreeDaysTwoFeeders();
  const auto first = Gather(plan, 4);
  const auto second = Gather(plan, 1);
  std::set<TaskId> ids;
  for (std::size_t i = 0; i < first.size(); ++i) {
    ids.insert(first[i].id);
    EXPECT_EQ(first[i].id, second[i].id);
    EXPECT_EQ(first[i].id, plan.At(i).id);
  }
  EXPECT_EQ(ids.size(), first.size());
}

TEST(TaskPlan, HandsOverConsecutiveBatchesOfAtMostMax) {
  std::vector<std::size_t> sizes;
  const auto tasks = Gather(ThreeDaysTwoFeeders(), 4, &sizes);
  EXPECT_EQ(sizes, (std::vector<std::size_t>{4, 2}));
  EXPECT_EQ(tasks.back().seq, 6);
}

TEST(TaskPlan, EmptyPlanHandsOverNoBatch) {
  std::vector<std::size_t> sizes;
  EXPECT_TRUE(Gather(TaskPlan({Day("2024-01-01")}, {}), 10, &sizes).empty());
  EXPECT_TRUE(sizes.empty());
}

TEST(TaskSpan, HandsOverTheTasksItViewsInBatches) {
  const auto tasks = Gather(ThreeDaysTwoFeeders(), 100);
  std::vector<std::size_t> sizes;
  const auto again = Gather(TaskSpan(tasks), 5, &sizes);
  EXPECT_EQ(sizes, (std::vector<std::size_t>{5, 1}));
  EXPECT_EQ(again.back().id, tasks.back().id);
}

TEST(PlanTasks, PlansEverySelectionOfTheTopologyByDefault) {
  RunRequest request;
  request.from = *ParseLocalDate("2024-01-01");
  request.to = *ParseLocalDate("2024-01-02");
  request.window = *WindowSpec::Parse("day");
  const auto plan =
      PlanTasks(request, Workload{"", {"F1", "F2", "F3"}}, TimeZone::Load("UTC").value());
  ASSERT_TRUE(plan) << plan.reason();
  EXPECT_EQ(plan->size(), 6u);
  EXPECT_EQ(plan->selection_count(), 3u);
  EXPECT_EQ(plan->At(5).selection, "F3");
  EXPECT_EQ(plan->At(5).params, "");
}

TEST(PlanTasks, CarriesEachSelectionsParamsIntoItsTasksAlsoForASubset) {
  RunRequest request;
  request.from = *ParseLocalDate("2024-01-01");
  request.to = *ParseLocalDate("2024-01-02");
  request.window = *WindowSpec::Parse("day");
  request.selections = {"F3", "F1"};
  const Workload workload{"", {"F1", "F2", "F3"}, {R"({"a":1})", "", R"({"c":3})"}};
  const auto plan = PlanTasks(request, workload, TimeZone::Load("UTC").value());
  ASSERT_TRUE(plan) << plan.reason();
  EXPECT_EQ(plan->selection_count(), 2u);
  ASSERT_EQ(plan->size(), 4u);
  EXPECT_EQ(plan->At(0).selection, "F3");
  EXPECT_EQ(plan->At(0).params, R"({"c":3})");
  EXPECT_EQ(plan->At(3).selection, "F1");
  EXPECT_EQ(plan->At(3).params, R"({"a":1})");
  request.selections = {"F9"};
  const auto unknown = PlanTasks(request, workload, TimeZone::Load("UTC").value());
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.reason(), "selection 'F9' is not in the workload");
}

TEST(ParseSelections, AllEmptyAndDuplicates) {
  EXPECT_TRUE(ParseSelections("all")->empty());
  EXPECT_EQ(ParseSelections("A,B")->size(), 2u);
  EXPECT_FALSE(ParseSelections("A,,B").ok());
  EXPECT_FALSE(ParseSelections("A,A").ok());
  EXPECT_FALSE(ParseSelections("").ok());
}

}  // namespace
}  // namespace dcp::planning
