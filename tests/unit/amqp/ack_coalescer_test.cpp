#include "amqp/ack_coalescer.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

namespace dcp::amqp {
namespace {

constexpr std::uint64_t kNoneOpen = std::numeric_limits<std::uint64_t>::max();

// The frames a flush sends, as "multiple N" / "single N".
std::vector<std::string> Frames(std::vector<std::uint64_t> acked, std::uint64_t lowest_open,
                                int fail_at = -1) {
  AckCoalescer acks;
  for (std::uint64_t tag : acked) acks.Add(tag);
  std::vector<std::string> frames;
  acks.Flush(lowest_open, [&](std::uint64_t tag, bool multiple) {
    if (static_cast<int>(frames.size()) == fail_at) return false;
    frames.push_back((multiple ? "multiple " : "single ") + std::to_string(tag));
    return true;
  });
  EXPECT_TRUE(acks.empty());
  return frames;
}

using FrameList = std::vector<std::string>;

TEST(AckCoalescer, SendsAsFewFramesAsPossible) {
  struct Case {
    const char* what;
    std::vector<std::uint64_t> acked;
    std::uint64_t lowest_open;
    FrameList frames;
  };
  const Case cases[] = {
      {"nothing acked", {}, kNoneOpen, {}},
      {"nothing open: one multiple", {3, 1, 2}, kNoneOpen, {"multiple 3"}},
      {"all below the lowest open", {1, 2}, 5, {"multiple 2"}},
      {"all above the lowest open: singles", {6, 8}, 5, {"single 6", "single 8"}},
      {"both, singles in order", {9, 2, 7, 1}, 5, {"multiple 2", "single 7", "single 9"}},
      {"the lowest open itself is never covered", {4}, 4, {"single 4"}},
      {"a gap below the lowest open is settled already", {1, 3}, 10, {"multiple 3"}},
  };
  for (const Case& c : cases) EXPECT_EQ(Frames(c.acked, c.lowest_open), c.frames) << c.what;
}

TEST(AckCoalescer, StopsAtTheFirstFrameThatCannotBeSent) {
  EXPECT_EQ(Frames({1, 7, 9}, 5, /*fail_at=*/0), FrameList{});
  EXPECT_EQ(Frames({1, 7, 9}, 5, /*fail_at=*/1), FrameList{"multiple 1"});
}

TEST(AckCoalescer, ClearForgetsTheAcks) {
  AckCoalescer acks;
  acks.Add(1);
  acks.Clear();
  EXPECT_TRUE(acks.empty());
  int frames = 0;
  acks.Flush(kNoneOpen, [&](std::uint64_t, bool) { return ++frames > 0; });
  EXPECT_EQ(frames, 0);
}

}  // namespace
}  // namespace dcp::amqp
