#include "runtime/loop_mailbox.hpp"

#include <ev.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace dcp::runtime {
namespace {

// A private loop per test, with a guard timer so a broken mailbox fails the
// test instead of hanging it.
class LoopMailboxTest : public ::testing::Test {
 protected:
  LoopMailboxTest() : loop_(ev_loop_new(EVFLAG_AUTO)) {
    ev_timer_init(&guard_, &LoopMailboxTest::OnGuard, 10.0, 0.);
    guard_.data = this;
    ev_timer_start(loop_, &guard_);
  }
  ~LoopMailboxTest() override {
    ev_timer_stop(loop_, &guard_);
    mailbox_.reset();
    ev_loop_destroy(loop_);
  }
  static void OnGuard(struct ev_loop* loop, ev_timer*, int) {
    ADD_FAILURE() << "the loop was not woken";
    ev_break(loop, EVBREAK_ALL);
  }

  struct ev_loop* loop_;
  ev_timer guard_{};
  std::unique_ptr<LoopMailbox<std::string>> mailbox_;
  std::vector<std::string> received_;
  std::vector<std::size_t> batch_sizes_;
};

TEST_F(LoopMailboxTest, HandlesWhatWasPostedBeforeTheLoopRanAsOneBatchInOrder) {
  mailbox_ = std::make_unique<LoopMailbox<std::string>>(loop_, [this](std::deque<std::string>& b) {
    batch_sizes_.push_back(b.size());
    for (auto& s : b) received_.push_back(std::move(s));
    ev_break(loop_, EVBREAK_ALL);
  });
  mailbox_->Post("a");
  std::vector<std::string> more{"b", "c"};
  mailbox_->PostAll(more);
  mailbox_->Start();
  ev_run(loop_, 0);
  EXPECT_EQ(received_, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(batch_sizes_, (std::vector<std::size_t>{3}));
}

TEST_F(LoopMailboxTest, PostFromAnotherThreadWakesTheLoop) {
  constexpr int kPosts = 1000;
  mailbox_ = std::make_unique<LoopMailbox<std::string>>(loop_, [this](std::deque<std::string>& b) {
    batch_sizes_.push_back(b.size());
    for (auto& s : b) received_.push_back(std::move(s));
    if (received_.size() == kPosts) ev_break(loop_, EVBREAK_ALL);
  });
  mailbox_->Start();
  std::thread poster([this] {
    for (int i = 0; i < kPosts; ++i) mailbox_->Post(std::to_string(i));
  });
  ev_run(loop_, 0);
  poster.join();
  ASSERT_EQ(received_.size(), static_cast<std::size_t>(kPosts));
  for (int i = 0; i < kPosts; ++i)
    EXPECT_EQ(received_[static_cast<std::size_t>(i)], std::to_string(i));
  EXPECT_LE(batch_sizes_.size(), static_cast<std::size_t>(kPosts));
}

TEST_F(LoopMailboxTest, AStoppedMailboxHandlesNothing) {
  int calls = 0;
  mailbox_ = std::make_unique<LoopMailbox<std::string>>(
      loop_, [&calls](std::deque<std::string>&) { ++calls; });
  mailbox_->Start();
  mailbox_->Stop();
  mailbox_->Post("ignored");
  ev_run(loop_, EVRUN_NOWAIT);
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace dcp::runtime
