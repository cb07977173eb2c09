#include "domain/task_status.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <vector>

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
      {S::kQueued, S::kFinished, true},    {S::kQueued, S::kFailed, true},
      {S::kStarted, S::kQueued, true},     {S::kStarted, S::kStarted, true},
      {S::kStarted, S::kFinished, true},   {S::kStarted, S::kFailed, true},
      {S::kFinished, S::kQueued, false},   {S::kFinished, S::kStarted, false},
      {S::kFinished, S::kFinished, false}, {S::kFinished, S::kFailed, false},
      {S::kFailed, S::kQueued, true},      {S::kFailed, S::kStarted, true},
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

TEST(TaskStatus, EachEventMovesOnlyFromItsStates) {
  using S = TaskStatus;
  using E = TaskEvent;
  struct Case {
    E event;
    std::vector<S> from;
    S to;
  };
  const Case cases[] = {
      {E::kStart, {S::kQueued, S::kStarted}, S::kStarted},
      {E::kRestart, {S::kFailed}, S::kStarted},
      {E::kFinish, {S::kQueued, S::kStarted}, S::kFinished},
      {E::kFail, {S::kQueued, S::kStarted}, S::kFailed},
      {E::kRequeue, {S::kStarted}, S::kQueued},
      {E::kCancelRetry, {S::kStarted}, S::kCancelled},
      {E::kCancel, {S::kQueued}, S::kCancelled},
      {E::kOperatorRetry, {S::kFailed}, S::kQueued},
  };
  ASSERT_EQ(TaskTransitions().size(), std::size(cases));
  for (const auto& c : cases) {
    EXPECT_EQ(TransitionOf(c.event).event, c.event) << ToString(c.event);
    EXPECT_EQ(TransitionOf(c.event).to, c.to) << ToString(c.event);
    for (const auto s : kTaskStatuses) {
      const bool allowed = std::find(c.from.begin(), c.from.end(), s) != c.from.end();
      EXPECT_EQ(CanApply(c.event, s), allowed) << ToString(c.event) << " from " << ToString(s);
    }
  }
}

TEST(TaskStatus, NoEventLeavesAFinishedOrCancelledTask) {
  for (const auto& t : TaskTransitions()) {
    EXPECT_FALSE(CanApply(t.event, TaskStatus::kFinished)) << ToString(t.event);
    EXPECT_FALSE(CanApply(t.event, TaskStatus::kCancelled)) << ToString(t.event);
  }
}

TEST(RunStatus, EachEventMovesOnlyFromItsStates) {
  using R = RunStatus;
  EXPECT_TRUE(CanApply(RunEvent::kPublished, R::kPublishing));
  EXPECT_FALSE(CanApply(RunEvent::kPublished, R::kRunning));
  EXPECT_TRUE(CanApply(RunEvent::kComplete, R::kRunning));
  EXPECT_FALSE(CanApply(RunEvent::kComplete, R::kPublishing));
  for (const auto s : {R::kPublishing, R::kRunning}) {
    EXPECT_TRUE(CanApply(RunEvent::kCancel, s)) << ToString(s);
    EXPECT_TRUE(CanApply(RunEvent::kOperatorRetry, s)) << ToString(s);
  }
  for (const auto s : TerminalRunStatuses()) {
    EXPECT_FALSE(CanApply(RunEvent::kCancel, s)) << ToString(s);
    EXPECT_FALSE(CanApply(RunEvent::kComplete, s)) << ToString(s);
    EXPECT_FALSE(CanApply(RunEvent::kPublished, s)) << ToString(s);
  }
  EXPECT_TRUE(CanApply(RunEvent::kOperatorRetry, R::kFailed));
  EXPECT_FALSE(CanApply(RunEvent::kOperatorRetry, R::kCancelled));
  EXPECT_EQ(TransitionOf(RunEvent::kOperatorRetry).to.front(), R::kPublishing);
}

TEST(RunStatus, ACompletedRunFailsIfATaskFailedElseIsCancelledIfOneWas) {
  EXPECT_EQ(CompletedStatus(0, 0), RunStatus::kFinished);
  EXPECT_EQ(CompletedStatus(0, 2), RunStatus::kCancelled);
  EXPECT_EQ(CompletedStatus(1, 2), RunStatus::kFailed);
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
  for (const auto s : ActiveRunStatuses()) EXPECT_FALSE(IsTerminal(s)) << ToString(s);
  for (const auto s : TerminalRunStatuses()) EXPECT_TRUE(IsTerminal(s)) << ToString(s);
}

}  // namespace
}  // namespace dcp
