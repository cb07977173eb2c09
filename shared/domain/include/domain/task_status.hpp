#pragma once
// Task states of run_process.task_status and the allowed transitions:
//   QUEUED -> STARTED -> FINISHED (final)
//   STARTED -> STARTED (redelivered after a crash, attempt + 1)
//   STARTED -> FAILED, QUEUED -> FAILED (malformed or unusable task)
//   FAILED -> QUEUED (operator retry)
//   STARTED -> QUEUED (computation failed, retry scheduled)
//   QUEUED -> CANCELLED (its run was cancelled; final)
//   STARTED -> CANCELLED (a retry scheduled after its run was cancelled)
#include <optional>
#include <string_view>

namespace dcp {

enum class TaskStatus { kQueued, kStarted, kFinished, kFailed, kCancelled };

std::string_view ToString(TaskStatus s);
std::optional<TaskStatus> ParseTaskStatus(std::string_view text);
bool CanTransition(TaskStatus from, TaskStatus to);

// FINISHED, FAILED and CANCELLED are terminal: the run has completed (an
// operator retry may reopen a FAILED one).
enum class RunStatus { kPublishing, kRunning, kFinished, kFailed, kCancelled };

std::string_view ToString(RunStatus s);
std::optional<RunStatus> ParseRunStatus(std::string_view text);
bool IsTerminal(RunStatus s);

}  // namespace dcp
