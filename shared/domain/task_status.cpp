#include "domain/task_status.hpp"

namespace dcp {

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

bool CanTransition(TaskStatus from, TaskStatus to) {
  using S = TaskStatus;
  switch (from) {
    case S::kQueued:
      return to == S::kStarted || to == S::kFailed || to == S::kCancelled;
    case S::kStarted:
      return to == S::kStarted || to == S::kFinished || to == S::kFailed || to == S::kQueued ||
             to == S::kCancelled;
    case S::kFailed:
      return to == S::kQueued;
    case S::kFinished:
    case S::kCancelled:
      return false;
  }
  return false;
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

bool IsTerminal(RunStatus s) {
  return s == RunStatus::kFinished || s == RunStatus::kFailed || s == RunStatus::kCancelled;
}

}  // namespace dcp
