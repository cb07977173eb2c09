#include "domain/task_status.hpp"

#include <algorithm>
#include <array>

namespace dcp {
namespace {

using S = TaskStatus;
using R = RunStatus;

constexpr std::array kQueuedOrStarted = {S::kQueued, S::kStarted};
constexpr std::array kQueued = {S::kQueued};
constexpr std::array kStarted = {S::kStarted};
constexpr std::array kFailed = {S::kFailed};

// In the order of TaskEvent.
constexpr std::array kTaskTransitions = {
    TaskTransition{TaskEvent::kStart, kQueuedOrStarted, S::kStarted},
    TaskTransition{TaskEvent::kRestart, kFailed, S::kStarted},
    TaskTransition{TaskEvent::kFinish, kQueuedOrStarted, S::kFinished},
    TaskTransition{TaskEvent::kFail, kQueuedOrStarted, S::kFailed},
    TaskTransition{TaskEvent::kRequeue, kStarted, S::kQueued},
    TaskTransition{TaskEvent::kCancelRetry, kStarted, S::kCancelled},
    TaskTransition{TaskEvent::kCancel, kQueued, S::kCancelled},
    TaskTransition{TaskEvent::kOperatorRetry, kFailed, S::kQueued},
};

constexpr std::array kActive = {R::kPublishing, R::kRunning};
constexpr std::array kTerminal = {R::kFinished, R::kFailed, R::kCancelled};
constexpr std::array kPublishing = {R::kPublishing};
constexpr std::array kRunning = {R::kRunning};
constexpr std::array kCancelled = {R::kCancelled};
constexpr std::array kNotCancelled = {R::kPublishing, R::kRunning, R::kFinished, R::kFailed};

// In the order of RunEvent.
constexpr std::array kRunTransitions = {
    RunTransition{RunEvent::kPublished, kPublishing, kRunning},
    RunTransition{RunEvent::kComplete, kRunning, kTerminal},
    RunTransition{RunEvent::kCancel, kActive, kCancelled},
    RunTransition{RunEvent::kOperatorRetry, kNotCancelled, kPublishing},
};

template <class T>
bool Contains(std::span<const T> set, T value) {
  return std::find(set.begin(), set.end(), value) != set.end();
}

}  // namespace

std::string_view ToString(TaskStatus s) {
  switch (s) {
    case TaskStatus::kQueued:
      return "QUEUED";
    case TaskStatus::kStarted:
      return "STARTED";
    case TaskStatus::kFinished:
      return "FINISHED";
    case TaskStatus::kFailed:
      return "FAILED";
    case TaskStatus::kCancelled:
      return "CANCELLED";
  }
  return "UNKNOWN";
}

std::optional<TaskStatus> ParseTaskStatus(std::string_view text) {
  for (auto s : {TaskStatus::kQueued, TaskStatus::kStarted, TaskStatus::kFinished,
                 TaskStatus::kFailed, TaskStatus::kCancelled}) {
    if (ToString(s) == text) return s;
  }
  return std::nullopt;
}

std::span<const TaskTransition> TaskTransitions() { return kTaskTransitions; }

const TaskTransition& TransitionOf(TaskEvent event) {
  return kTaskTransitions.at(static_cast<std::size_t>(event));
}

std::string_view ToString(TaskEvent event) {
  switch (event) {
    case TaskEvent::kStart:
      return "start";
    case TaskEvent::kRestart:
      return "restart";
    case TaskEvent::kFinish:
      return "finish";
    case TaskEvent::kFail:
      return "fail";
    case TaskEvent::kRequeue:
      return "requeue";
    case TaskEvent::kCancelRetry:
      return "cancel retry";
    case TaskEvent::kCancel:
      return "cancel";
    case TaskEvent::kOperatorRetry:
      return "operator retry";
  }
  return "unknown";
}

bool CanApply(TaskEvent event, TaskStatus from) { return Contains(TransitionOf(event).from, from); }

bool CanTransition(TaskStatus from, TaskStatus to) {
  return std::any_of(kTaskTransitions.begin(), kTaskTransitions.end(),
                     [&](const TaskTransition& t) { return t.to == to && Contains(t.from, from); });
}

std::string_view ToString(RunStatus s) {
  switch (s) {
    case RunStatus::kPublishing:
      return "PUBLISHING";
    case RunStatus::kRunning:
      return "RUNNING";
    case RunStatus::kFinished:
      return "FINISHED";
    case RunStatus::kFailed:
      return "FAILED";
    case RunStatus::kCancelled:
      return "CANCELLED";
  }
  return "UNKNOWN";
}

std::optional<RunStatus> ParseRunStatus(std::string_view text) {
  for (auto s : {RunStatus::kPublishing, RunStatus::kRunning, RunStatus::kFinished,
                 RunStatus::kFailed, RunStatus::kCancelled}) {
    if (ToString(s) == text) return s;
  }
  return std::nullopt;
}

bool IsTerminal(RunStatus s) { return Contains<RunStatus>(kTerminal, s); }

std::span<const RunStatus> ActiveRunStatuses() { return kActive; }

std::span<const RunStatus> TerminalRunStatuses() { return kTerminal; }

std::span<const RunTransition> RunTransitions() { return kRunTransitions; }

const RunTransition& TransitionOf(RunEvent event) {
  return kRunTransitions.at(static_cast<std::size_t>(event));
}

bool CanApply(RunEvent event, RunStatus from) { return Contains(TransitionOf(event).from, from); }

RunStatus CompletedStatus(std::int64_t tasks_failed, std::int64_t tasks_cancelled) {
  if (tasks_failed > 0) return RunStatus::kFailed;
  if (tasks_cancelled > 0) return RunStatus::kCancelled;
  return RunStatus::kFinished;
}

std::string_view ToString(ExportStatus s) {
  switch (s) {
    case ExportStatus::kPending:
      return "PENDING";
    case ExportStatus::kRunning:
      return "RUNNING";
    case ExportStatus::kFinished:
      return "FINISHED";
    case ExportStatus::kFailed:
      return "FAILED";
  }
  return "UNKNOWN";
}

std::optional<ExportStatus> ParseExportStatus(std::string_view text) {
  for (auto s : {ExportStatus::kPending, ExportStatus::kRunning, ExportStatus::kFinished,
                 ExportStatus::kFailed}) {
    if (ToString(s) == text) return s;
  }
  return std::nullopt;
}

}  // namespace dcp
