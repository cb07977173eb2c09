#include "grid/reference_computation.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "grid/grid_generator.hpp"
#include "grid/reference_topology.hpp"
#include "grid/topology_json.hpp"

namespace dcp::grid {
namespace {

TaskMessage Task(std::string selection, const char* start, const char* end) {
  return TaskMessage{RunId::New(), TaskId::New(), std::move(selection), *ParseLocalMinute(start),
                     *ParseLocalMinute(end)};
}

RunContext ReferenceRun() {
  return RunContext{"Europe/Amsterdam", std::string(EmbeddedReferenceTopology())};
}

// The feeder with the most meters in the reference grid.
std::string BiggestFeeder() {
  const Topology grid = *ParseTopology(EmbeddedReferenceTopology());
  std::string biggest;
  std::size_t most = 0;
  for (const std::string& feeder : Feeders(grid)) {
    const std::size_t size = grid.SubtreeSize(*grid.Find(feeder));
    if (size > most) {
      most = size;
      biggest = feeder;
    }
  }
  return biggest;
}

TEST(ReferenceComputation, IsNamedReference) {
  ReferenceComputation computation;
  EXPECT_EQ(computation.name(), "reference");
}

TEST(ReferenceComputation, ComputesAMonthOfTheBiggestFeeder) {
  ReferenceComputation computation;
  const std::string feeder = BiggestFeeder();
  const auto task = Task(feeder, "2024-01-01 00:00", "2024-01-31 23:59");
  const auto started = std::chrono::steady_clock::now();
  auto csv = computation.Compute(task, ReferenceRun(), 1);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(csv.ok()) << csv.reason();
  const auto rows = std::count(csv->begin(), csv->end(), '\n');
  EXPECT_GT(rows, 10);
  EXPECT_EQ(csv->substr(0, feeder.size() + 1), feeder + ",");
  RecordProperty(
      "month_task_ms",
      static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()));
  std::printf("one month of %s (%ld rows): %.2f ms\n", feeder.c_str(), static_cast<long>(rows),
              std::chrono::duration<double, std::milli>(elapsed).count());
}

TEST(ReferenceComputation, GivesIdenticalOutputOnRepeatedCalls) {
  ReferenceComputation computation;
  const auto task = Task("S1-F1", "2024-10-27 00:00", "2024-10-27 23:59");
  auto first = computation.Compute(task, ReferenceRun(), 1);
  ASSERT_TRUE(first.ok()) << first.reason();
  EXPECT_EQ(*computation.Compute(task, ReferenceRun(), 1), *first);
  ReferenceComputation fresh;
  EXPECT_EQ(*fresh.Compute(task, ReferenceRun(), 1), *first);
}

TEST(ReferenceComputation, GivesIdenticalOutputFromConcurrentThreads) {
  ReferenceComputation computation;
  const RunContext run = ReferenceRun();
  const auto feeders = Feeders(*ParseTopology(run.topology));
  std::vector<std::string> expected;
  for (const auto& feeder : feeders) {
    expected.push_back(*ReferenceComputation().Compute(
        Task(feeder, "2024-03-25 00:00", "2024-04-01 23:59"), run, 1));
  }
  std::vector<std::vector<std::string>> results(2);
  std::vector<std::thread> threads;
  for (auto& result : results) {
    threads.emplace_back([&computation, &run, &feeders, &result] {
      for (const auto& feeder : feeders) {
        auto csv =
            computation.Compute(Task(feeder, "2024-03-25 00:00", "2024-04-01 23:59"), run, 1);
        result.push_back(csv.ok() ? *csv : csv.reason());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(results[0], expected);
  EXPECT_EQ(results[1], expected);
}

TEST(ReferenceComputation, KeepsServingWhenTopologiesOutnumberTheCache) {
  ReferenceComputation computation;
  const auto task = Task("S1-F1", "2024-05-01 00:00", "2024-05-01 23:59");
  for (int round = 0; round < 2; ++round) {
    for (std::uint64_t seed = 0; seed < ReferenceComputation::kCacheCapacity + 2; ++seed) {
      const RunContext run{"UTC", ToJson(GenerateGrid(seed, 50))};
      auto csv = computation.Compute(task, run, 1);
      ASSERT_TRUE(csv.ok()) << csv.reason();
      EXPECT_EQ(*csv, *ReferenceComputation().Compute(task, run, 1));
    }
  }
}

TEST(ReferenceComputation, RejectsAnUnknownSelection) {
  ReferenceComputation computation;
  auto csv =
      computation.Compute(Task("7", "2024-01-01 00:00", "2024-01-01 23:59"), ReferenceRun(), 1);
  ASSERT_FALSE(csv.ok());
  EXPECT_EQ(csv.reason(), "unknown selection '7': no feeder with that id");
}

TEST(ReferenceComputation, RejectsABadRunContext) {
  ReferenceComputation computation;
  const auto task = Task("S1-F1", "2024-01-01 00:00", "2024-01-01 23:59");
  auto bad_topology = computation.Compute(task, RunContext{"UTC", "{}"}, 1);
  ASSERT_FALSE(bad_topology.ok());
  EXPECT_EQ(bad_topology.reason(), "topology: field 'version' must be 1");
  auto bad_zone = computation.Compute(task, RunContext{"Mars/Olympus", ReferenceRun().topology}, 1);
  ASSERT_FALSE(bad_zone.ok());
  EXPECT_EQ(bad_zone.reason(), "unknown time zone 'Mars/Olympus'");
}

}  // namespace
}  // namespace dcp::grid
