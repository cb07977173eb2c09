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
  }
  return "UNKNOWN";
}

std::optional<TaskStatus> ParseTaskStatus(std::string_view text) {
  for (auto s :
       {TaskStatus::kQueued, TaskStatus::kStarted, TaskStatus::kFinished, TaskStatus::kFailed}) {
    if (ToString(s) == text) return s;
  }
  return std::nullopt;
}

bool CanTransition(TaskStatus from, TaskStatus to) {
  using S = TaskStatus;
  switch (from) {
    case S::kQueued:
      return to == S::kStarted || to == S::kFailed;
    case S::kStarted:
      return to == S::kStarted || to == S::kFinished || to == S::kFailed || to == S::kQueued;
    case S::kFailed:
      return to == S::kQueued;
    case S::kFinished:
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
  }
  return "UNKNOWN";
}

std::optional<RunStatus> ParseRunStatus(std::string_view text) {
  for (auto s :
       {RunStatus::kPublishing, RunStatus::kRunning, RunStatus::kFinished, RunStatus::kFailed}) {
    if (ToString(s) == text) return s;
  }
  return std::nullopt;
}

}  // namespace dcp
