#include "amqp/pending_confirms.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <vector>

namespace dcp::amqp {
namespace {

using Originals = std::vector<std::uint64_t>;

// Pending publishes of originals 10, 20, 30, 40 (confirm tags 1-4).
PendingConfirms FourPending() {
  PendingConfirms pending;
  for (std::uint64_t original : {10U, 20U, 30U, 40U}) pending.Published(original);
  return pending;
}

Originals Confirm(PendingConfirms& pending, std::uint64_t tag, bool multiple) {
  Originals settled;
  pending.Confirmed(tag, multiple, [&](std::uint64_t original) {
    settled.push_back(original);
    return true;
  });
  return settled;
}

TEST(PendingConfirms, NumbersPublishesFromOne) {
  PendingConfirms pending;
  EXPECT_EQ(pending.Published(10), 1U);
  EXPECT_EQ(pending.Published(5), 2U);
  EXPECT_EQ(pending.size(), 2U);
}

TEST(PendingConfirms, ASingleConfirmSettlesItsOriginal) {
  auto pending = FourPending();
  EXPECT_EQ(Confirm(pending, 2, false), Originals{20});
  EXPECT_EQ(pending.size(), 3U);
  EXPECT_EQ(Confirm(pending, 2, false), Originals{});  // answered once only
}

TEST(PendingConfirms, AMultipleConfirmSettlesEveryPendingUpToItsTag) {
  auto pending = FourPending();
  EXPECT_EQ(Confirm(pending, 2, false), Originals{20});
  EXPECT_EQ(Confirm(pending, 3, true), (Originals{10, 30}));
  EXPECT_EQ(pending.size(), 1U);
  EXPECT_EQ(Confirm(pending, 9, true), Originals{40});
  EXPECT_EQ(pending.size(), 0U);
}

TEST(PendingConfirms, AConfirmOfAnUnknownTagSettlesNothing) {
  auto pending = FourPending();
  EXPECT_EQ(Confirm(pending, 7, false), Originals{});
  EXPECT_EQ(pending.size(), 4U);
}

TEST(PendingConfirms, KeepsEverythingWhenSettlingFails) {
  auto pending = FourPending();
  int calls = 0;
  pending.Confirmed(4, true, [&](std::uint64_t) { return ++calls < 2; });
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(pending.size(), 4U);
}

TEST(PendingConfirms, KnowsTheLowestOriginalStillPending) {
  PendingConfirms pending;
  EXPECT_EQ(pending.LowestOriginal(), std::numeric_limits<std::uint64_t>::max());
  pending.Published(30);
  pending.Published(10);
  pending.Published(20);
  EXPECT_EQ(pending.LowestOriginal(), 10U);
  Confirm(pending, 2, false);
  EXPECT_EQ(pending.LowestOriginal(), 20U);
}

TEST(PendingConfirms, ResetStartsTheTagsAgain) {
  auto pending = FourPending();
  pending.Reset();
  EXPECT_EQ(pending.size(), 0U);
  EXPECT_EQ(pending.Published(99), 1U);
}

}  // namespace
}  // namespace dcp::amqp
