#pragma once
// Task states of run_process.task_status and the allowed transitions:
//   QUEUED -> STARTED -> FINISHED (final)
//   STARTED -> STARTED (redelivered after a crash, attempt + 1)
//   STARTED -> FAILED, QUEUED -> FAILED (malformed or unusable task)
//   FAILED -> QUEUED (operator retry)
//   STARTED -> QUEUED (computation failed, retry scheduled)
#include <optional>
#include <string_view>

namespace dcp {

enum class TaskStatus { kQueued, kStarted, kFinished, kFailed };

std::string_view ToString(TaskStatus s);
std::optional<TaskStatus> ParseTaskStatus(std::string_view text);
bool CanTransition(TaskStatus from, TaskStatus to);

enum class RunStatus { kPublishing, kRunning, kFinished, kFailed };

std::string_view ToString(RunStatus s);
std::optional<RunStatus> ParseRunStatus(std::string_view text);

}  // namespace dcp
