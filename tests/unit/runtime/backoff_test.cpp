#include "runtime/backoff.hpp"

#include <gtest/gtest.h>

namespace dcp::runtime {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, DoublesWithJitterUpToTheCap) {
  Backoff backoff({milliseconds(200), milliseconds(30'000)}, /*seed=*/42);
  milliseconds nominal(200);
  for (int attempt = 0; attempt < 12; ++attempt) {
    const milliseconds delay = backoff.Next();
    EXPECT_GE(delay, nominal / 2) << "attempt " << attempt;
    EXPECT_LE(delay, nominal) << "attempt " << attempt;
    nominal = std::min(nominal * 2, milliseconds(30'000));
  }
  EXPECT_EQ(nominal, milliseconds(30'000));
}

TEST(Backoff, ResetStartsAgainFromInitial) {
  Backoff backoff({milliseconds(200), milliseconds(30'000)}, /*seed=*/7);
  for (int i = 0; i < 8; ++i) (void)backoff.Next();
  backoff.Reset();
  EXPECT_LE(backoff.Next(), milliseconds(200));
}

TEST(Backoff, JitterSpreadsWorkersApart) {
  Backoff a({milliseconds(200), milliseconds(30'000)}, 1);
  Backoff b({milliseconds(200), milliseconds(30'000)}, 2);
  bool differ = false;
  for (int i = 0; i < 5; ++i) differ = differ || a.Next() != b.Next();
  EXPECT_TRUE(differ);
}

}  // namespace
}  // namespace dcp::runtime
