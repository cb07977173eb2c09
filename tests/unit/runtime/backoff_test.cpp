#include "runtime/backoff.hpp"

#include <gtest/gtest.h>

namespace dcp::runtime {
namespace {

using std::chrono::milliseconds;

BackoffPolicy Jittered() {
  BackoffPolicy p{milliseconds(200), milliseconds(30'000)};
  p.jitter = true;
  return p;
}

TEST(Backoff, DoublesWithJitterUpToTheCap) {
  Backoff backoff(Jittered(), /*seed=*/42);
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
  Backoff backoff(Jittered(), /*seed=*/7);
  for (int i = 0; i < 8; ++i) (void)backoff.Next();
  backoff.Reset();
  EXPECT_LE(backoff.Next(), milliseconds(200));
}

TEST(Backoff, JitterSpreadsWorkersApart) {
  Backoff a(Jittered(), 1);
  Backoff b(Jittered(), 2);
  bool differ = false;
  for (int i = 0; i < 5; ++i) differ = differ || a.Next() != b.Next();
  EXPECT_TRUE(differ);
}

TEST(Backoff, WithoutJitterTheDelaysAreExact) {
  Backoff backoff({milliseconds(500), milliseconds(15'000)});
  const milliseconds expected[] = {milliseconds(500),   milliseconds(1000), milliseconds(2000),
                                   milliseconds(4000),  milliseconds(8000), milliseconds(15'000),
                                   milliseconds(15'000)};
  for (const auto delay : expected) EXPECT_EQ(backoff.Next(), delay);
}

TEST(Backoff, ReconnectOptionsJitter) {
  const BackoffOptions reconnect;
  EXPECT_TRUE(reconnect.jitter);
  EXPECT_EQ(reconnect.first, milliseconds(200));
  EXPECT_EQ(reconnect.max, milliseconds(30'000));
}

}  // namespace
}  // namespace dcp::runtime
