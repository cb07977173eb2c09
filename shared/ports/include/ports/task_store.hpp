#pragma once
// The worker's view of the database. Every transition is one conditional
// write keyed by task_id, so a duplicate delivery can never move a FINISHED
// task back, and a task is counted once in its run.
//
// Ownership. Each start gives the delivery a new attempt number (the row's
// `attempt`); the delivery that holds the row's current attempt owns the
// task. The writes of a failure (FailTask, RequeueTask) name the attempt
// they belong to and change the row only while it still holds that attempt:
// a stale delivery (its broker connection lost and the message redelivered
// to someone else, a worker paused past the consumer timeout, a network
// split) changes nothing, and is told so (kNotOwner), so that it hands its
// message back instead of dropping it. A finish is the one write accepted
// from any delivery of a task that has not ended (QUEUED or STARTED): the
// result is the task's result whoever computed it, it is counted once, and
// refusing it could only cost a computation (or, as redeliveries take over
// attempts, let two live deliveries take the task from each other).
//
// Not thread-safe: one instance per thread (each holds its own connection).
// Throws DbError on database failure.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/ids.hpp"
#include "domain/task_message.hpp"
#include "ports/run_context.hpp"

namespace dcp {

enum class StartOutcome {
  kStarted,          // now STARTED by this worker
  kAlreadyFinished,  // FINISHED (or FAILED for good): ack and skip
  kCancelled,        // CANCELLED (its run was cancelled): ack and skip
};

struct StartResult {
  StartOutcome outcome = StartOutcome::kStarted;
  int attempt = 0;  // the attempt now running (1 for the first delivery)
};

// What a write of one delivery did.
enum class WriteOutcome {
  kApplied,   // the row moved (or already had moved: a retried write of the same attempt)
  kEnded,     // nothing to do: the task is FINISHED, FAILED or CANCELLED, or has no row
  kNotOwner,  // another delivery holds the task's current attempt: nothing changed
};

// The attempt of a delivery that never started its task (a malformed
// message): it owns only a row that was never started either.
inline constexpr int kNotStarted = 0;

struct TaskResult {
  std::string computation;  // Computation::name()
  std::string body;
};

// One finished task for RecordBatch: the task and its computed result.
struct FinishItem {
  const TaskMessage* task = nullptr;
  const TaskResult* result = nullptr;
};

// RecordBatch's answer.
struct BatchRecord {
  std::vector<bool> finished;
  std::vector<std::optional<StartResult>> started;
};

class TaskStore {
 public:
  virtual ~TaskStore() = default;

  // QUEUED/STARTED -> STARTED with attempt + 1, worker and start time
  // (TaskEvent::kStart). A FAILED task starts again only while its run is
  // open (TaskEvent::kRestart); once the run has ended, or when it has no
  // run, it is failed for good (kAlreadyFinished). A message whose run or
  // task has no row (sent by another producer) gets them created first: run
  // with trigger 'external' and unknown task count.
  virtual StartResult StartTask(const TaskMessage& task, std::string_view worker_id) = 0;

  // In one transaction: stores the result (replacing an earlier one of the
  // same task), QUEUED/STARTED -> FINISHED with finish time, counts it in
  // the run and completes the run if this was its last task. Any delivery of
  // the task may finish it (see Ownership). Returns false when the task had
  // ended (FINISHED, FAILED, CANCELLED) or has no row: nothing is changed.
  virtual bool FinishTask(const TaskMessage& task, const TaskResult& result) = 0;

  // The batched form, for a worker that records many tasks per round trip:
  // FinishTask for each item of `finish`, then the cheap part of StartTask
  // for each task of `start`, all at once (a database store does it in one
  // transaction, so on DbError nothing is recorded). The answers:
  //  - finished: true where the item was counted (of items with the same
  //    task id, at most the first);
  //  - started: nullopt where the batch cannot start the task cheaply (no
  //    row yet, or FAILED): the caller then calls StartTask for it; else
  //    what StartTask would give. A task id that comes twice is started
  //    once, and both get the same answer.
  virtual BatchRecord RecordBatch(const std::vector<FinishItem>& finish,
                                  const std::vector<const TaskMessage*>& start,
                                  std::string_view worker_id) = 0;

  // By the owner of `attempt` (kNotStarted for a malformed message):
  // QUEUED/STARTED -> FAILED with the error text, counted in the run
  // (completing it if last); kApplied. A task this attempt FAILED already
  // keeps the new error and is not counted again (kApplied). A task id with
  // no row gets one (run_id may be unknown for a malformed message). A task
  // that ended otherwise is left alone (kEnded); one that another attempt
  // holds too (kNotOwner).
  virtual WriteOutcome FailTask(const TaskId& task, const std::optional<RunId>& run, int attempt,
                                std::string_view error) = 0;

  // By the owner of `attempt`, when a retry is scheduled: STARTED -> QUEUED
  // with the error of the attempt that failed (the attempt count is kept),
  // or STARTED -> CANCELLED, counted in the run, if the run was cancelled
  // meanwhile (the retried message is then skipped); kApplied, also when
  // this attempt had done it already. kEnded for a task that ended or has
  // no row, kNotOwner when another attempt holds it: nothing changes.
  virtual WriteOutcome RequeueTask(const TaskId& task, int attempt, std::string_view error) = 0;

  // The run's stored context, or nullopt if the run has none.
  virtual std::optional<RunContext> LoadRunContext(const RunId& run) = 0;

  // For runs of another producer: stores `fallback` as the run's context if
  // it has none yet (first writer wins) and returns the one stored.
  virtual RunContext EnsureRunContext(const RunId& run, const RunContext& fallback) = 0;
};

}  // namespace dcp
