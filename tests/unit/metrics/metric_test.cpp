#include "metrics/metric.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <thread>
#include <vector>

namespace dcp::metrics {
namespace {

TEST(Counter, CountsIncrementsFromManyThreads) {
  Counter counter;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&counter] {
      for (int i = 0; i < 10000; ++i) counter.Increment();
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(counter.Value(), 80000u);
}

TEST(Gauge, GoesUpAndDown) {
  Gauge gauge;
  gauge.Increment();
  gauge.Increment(2.5);
  gauge.Decrement();
  EXPECT_DOUBLE_EQ(gauge.Value(), 2.5);
  gauge.Set(-4);
  EXPECT_DOUBLE_EQ(gauge.Value(), -4);
}

TEST(Histogram, BucketBoundsAreInclusive) {
  Histogram histogram({1, 2, 5});
  histogram.Observe(0.5);
  histogram.Observe(1);
  histogram.Observe(1.5);
  histogram.Observe(5);
  histogram.Observe(100);
  const auto snapshot = histogram.Collect();
  EXPECT_EQ(snapshot.cumulative, (std::vector<std::uint64_t>{2, 3, 4, 5}));
  EXPECT_EQ(snapshot.count(), 5u);
  EXPECT_DOUBLE_EQ(snapshot.sum, 108);
}

TEST(Histogram, CountEqualsInfBucketUnderConcurrentObservations) {
  Histogram histogram(DefaultBuckets());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&histogram, t] {
      for (int i = 0; i < 5000; ++i) histogram.Observe(0.001 * (i % 100) * (t + 1));
    });
  }
  for (auto& thread : threads) thread.join();
  const auto snapshot = histogram.Collect();
  EXPECT_EQ(snapshot.count(), 20000u);
  for (std::size_t i = 1; i < snapshot.cumulative.size(); ++i) {
    EXPECT_LE(snapshot.cumulative[i - 1], snapshot.cumulative[i]);
  }
}

TEST(Histogram, RejectsBoundsThatDoNotIncrease) {
  EXPECT_THROW(Histogram({}), std::invalid_argument);
  EXPECT_THROW(Histogram({1, 1}), std::invalid_argument);
  EXPECT_THROW(Histogram({2, 1}), std::invalid_argument);
}

TEST(Histogram, ExponentialBucketsGrowByTheFactor) {
  EXPECT_EQ(ExponentialBuckets(1, 2, 4), (std::vector<double>{1, 2, 4, 8}));
  EXPECT_THROW(ExponentialBuckets(0, 2, 4), std::invalid_argument);
  EXPECT_THROW(ExponentialBuckets(1, 1, 4), std::invalid_argument);
}

}  // namespace
}  // namespace dcp::metrics
