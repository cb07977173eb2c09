#pragma once
// The states of a task (run_process.task_status) and of a run (run.status),
// and the one table of the events that move them. Every store follows the
// table: shared/mysql renders an event's from-states as the condition of its
// conditional UPDATE, the in-memory fakes check CanApply, and the contract
// tests (tests/contract) hold both to it.
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace dcp {

enum class TaskStatus { kQueued, kStarted, kFinished, kFailed, kCancelled };

std::string_view ToString(TaskStatus s);
std::optional<TaskStatus> ParseTaskStatus(std::string_view text);

// What moves a task. FINISHED and CANCELLED are final: no event leaves them.
// "(owner)": only the delivery that holds the task's current attempt may
// apply it (see ports/task_store.hpp, "Ownership"); a finish is accepted from
// any delivery of a task that has not ended.
enum class TaskEvent {
  kStart,          // QUEUED, STARTED -> STARTED: a delivery (again after a crash), attempt + 1
  kRestart,        // FAILED -> STARTED: a delivery while its run is still open
  kFinish,         // QUEUED, STARTED -> FINISHED: its result is stored, from any delivery
  kFail,           // QUEUED, STARTED -> FAILED: malformed message, or attempts used up (owner)
  kRequeue,        // STARTED -> QUEUED: the computation failed, a retry is scheduled (owner)
  kCancelRetry,    // STARTED -> CANCELLED: a retry scheduled after its run was cancelled (owner)
  kCancel,         // QUEUED -> CANCELLED: its run was cancelled
  kOperatorRetry,  // FAILED -> QUEUED: the operator retries the run's failed tasks
};

struct TaskTransition {
  TaskEvent event;
  std::span<const TaskStatus> from;
  TaskStatus to;
};

// Every event, in the order of the enum.
std::span<const TaskTransition> TaskTransitions();
const TaskTransition& TransitionOf(TaskEvent event);
std::string_view ToString(TaskEvent event);
bool CanApply(TaskEvent event, TaskStatus from);
// Some event moves `from` to `to`.
bool CanTransition(TaskStatus from, TaskStatus to);

// FINISHED, FAILED and CANCELLED are terminal: the run has completed (an
// operator retry may reopen a FAILED one).
enum class RunStatus { kPublishing, kRunning, kFinished, kFailed, kCancelled };

std::string_view ToString(RunStatus s);
std::optional<RunStatus> ParseRunStatus(std::string_view text);
bool IsTerminal(RunStatus s);
// PUBLISHING and RUNNING: the run has not completed.
std::span<const RunStatus> ActiveRunStatuses();
std::span<const RunStatus> TerminalRunStatuses();

// What moves a run.
enum class RunEvent {
  kPublished,      // PUBLISHING -> RUNNING: every task confirmed by the broker
  kComplete,       // RUNNING -> FINISHED / FAILED / CANCELLED (CompletedStatus): every task ended
  kCancel,         // PUBLISHING, RUNNING -> CANCELLED: the operator cancels it
  kOperatorRetry,  // any but CANCELLED -> PUBLISHING: its FAILED tasks are requeued
};

struct RunTransition {
  RunEvent event;
  std::span<const RunStatus> from;
  std::span<const RunStatus> to;
};

std::span<const RunTransition> RunTransitions();
const RunTransition& TransitionOf(RunEvent event);
bool CanApply(RunEvent event, RunStatus from);
// A completed run's status: FAILED if a task failed, else CANCELLED if one
// was cancelled, else FINISHED.
RunStatus CompletedStatus(std::int64_t tasks_failed, std::int64_t tasks_cancelled);

// A run's export step (a job's export command): PENDING until the run ends
// FINISHED or FAILED and a process given the job claims it, RUNNING while
// it runs, then FINISHED (exit 0) or FAILED. An operator's rerun (`dcp export
// --rerun`) and a retry that reopens the run make it PENDING again.
enum class ExportStatus { kPending, kRunning, kFinished, kFailed };

std::string_view ToString(ExportStatus s);
std::optional<ExportStatus> ParseExportStatus(std::string_view text);

}  // namespace dcp
