#include "domain/task_status.hpp"

#include <gtest/gtest.h>

#include <array>

namespace dcp {
namespace {

constexpr std::array kTaskStatuses = {TaskStatus::kQueued, TaskStatus::kStarted,
                                      TaskStatus::kFinished, TaskStatus::kFailed,
                                      TaskStatus::kCancelled};

TEST(TaskStatus, UsesTheTableNames) {
  EXPECT_EQ(ToString(TaskStatus::kQueued), "QUEUED");
  EXPECT_EQ(ToString(TaskStatus::kStarted), "STARTED");
  EXPECT_EQ(ToString(TaskStatus::kFinished), "FINISHED");
  EXPECT_EQ(ToString(TaskStatus::kFailed), "FAILED");
  EXPECT_EQ(ToString(TaskStatus::kCancelled), "CANCELLED");
}

TEST(TaskStatus, ParsesWhatItFormats) {
  for (const auto s : kTaskStatuses) EXPECT_EQ(ParseTaskStatus(ToString(s)), s);
}

TEST(TaskStatus, RejectsUnknownNames) {
  for (const auto* text : {"", "queued", "DONE", "STARTED ", "PUBLISHING"}) {
    EXPECT_FALSE(ParseTaskStatus(text)) << text;
  }
}

TEST(TaskStatus, AllowsOnlyTheDocumentedTransitions) {
  using S = TaskStatus;
  struct Case {
    S from;
    S to;
    bool allowed;
  };
  const Case cases[] = {
      {S::kQueued, S::kQueued, false},     {S::kQueued, S::kStarted, true},
      {S::kQueued, S::kFinished, false},   {S::kQueued, S::kFailed, true},
      {S::kStarted, S::kQueued, true},     {S::kStarted, S::kStarted, true},
      {S::kStarted, S::kFinished, true},   {S::kStarted, S::kFailed, true},
      {S::kFinished, S::kQueued, false},   {S::kFinished, S::kStarted, false},
      {S::kFinished, S::kFinished, false}, {S::kFinished, S::kFailed, false},
      {S::kFailed, S::kQueued, true},      {S::kFailed, S::kStarted, false},
      {S::kFailed, S::kFinished, false},   {S::kFailed, S::kFailed, false},
      {S::kQueued, S::kCancelled, true},   {S::kStarted, S::kCancelled, true},
      {S::kFailed, S::kCancelled, false},  {S::kFinished, S::kCancelled, false},
      {S::kCancelled, S::kQueued, false},  {S::kCancelled, S::kStarted, false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(CanTransition(c.from, c.to), c.allowed)
        << ToString(c.from) << " -> " << ToString(c.to);
  }
}

TEST(RunStatus, ParsesWhatItFormats) {
  const std::array statuses = {RunStatus::kPublishing, RunStatus::kRunning, RunStatus::kFinished,
                               RunStatus::kFailed, RunStatus::kCancelled};
  const std::array names = {"PUBLISHING", "RUNNING", "FINISHED", "FAILED", "CANCELLED"};
  for (std::size_t i = 0; i < statuses.size(); ++i) {
    EXPECT_EQ(ToString(statuses[i]), names[i]);
    EXPECT_EQ(ParseRunStatus(names[i]), statuses[i]);
  }
  EXPECT_FALSE(ParseRunStatus("QUEUED"));
  EXPECT_FALSE(ParseRunStatus("running"));
}

TEST(RunStatus, FinishedFailedAndCancelledAreTerminal) {
  EXPECT_FALSE(IsTerminal(RunStatus::kPublishing));
  EXPECT_FALSE(IsTerminal(RunStatus::kRunning));
  EXPECT_TRUE(IsTerminal(RunStatus::kFinished));
  EXPECT_TRUE(IsTerminal(RunStatus::kFailed));
  EXPECT_TRUE(IsTerminal(RunStatus::kCancelled));
}

}  // namespace
}  // namespace dcp
