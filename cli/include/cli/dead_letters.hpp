#pragma once
// The dead letters of `dcp dead list` / `dcp dead replay` as the operator
// sees them, and the rule of what a replay does with each. Pure: the
// commands (dead_commands.hpp) read the queue and the database.
#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "amqp/message.hpp"
#include "domain/ids.hpp"
#include "domain/task_message.hpp"
#include "ports/run_store.hpp"

namespace dcp::cli {

// One message of `<queue>.dead`.
struct DeadLetter {
  std::uint64_t tag = 0;            // names it in the QueueReader that holds it
  std::optional<TaskMessage> task;  // none: the body is not a task message
  std::string malformed;            // why not (the worker's reason); "" for a task message
  std::optional<RunId> run;         // the task's, or what could be read of a malformed body
  std::optional<TaskId> task_id;    // likewise
  // x-dcp-reason (the worker's), else "broker: " + x-first-death-reason
  // (the broker's own delivery limit, say); "" if neither.
  std::string reason;
  std::optional<SysSeconds> dead_lettered_at;
  // The broker's delivery count when it was dead-lettered (quorum queues; 0
  // if unknown).
  std::int64_t deliveries = 0;
  std::size_t body_bytes = 0;
  std::optional<TaskView> row;  // the task's row now, when the command found one
};

DeadLetter ReadDeadLetter(const amqp::Delivery& delivery);

// `--run`: every letter without a filter, else those whose run id (read, or
// peeked from a malformed body) is it.
bool InRun(const DeadLetter& letter, const std::optional<RunId>& run);

enum class ReplayAction {
  kReplay,  // the task is FAILED: requeue it, publish it, then ack the letter
  kDrop,    // the task is queued, running or ended again: ack the letter, publish nothing
  kKeep,    // left in the dead-letter queue, as it is
};

struct ReplayDecision {
  ReplayAction action = ReplayAction::kKeep;
  std::string note;  // one line for the operator
};

// The replay rule. `run` is the letter's run row (none: not in the
// database); the letter's `row` its task's. Only a FAILED task the leader
// planned, of a run not cancelled, is replayed; a task that is QUEUED,
// STARTED, FINISHED or CANCELLED has moved on since its letter was written
// (a `dcp retry`, an earlier replay): its letter is dropped. A malformed
// letter, and one whose run or task has no row or was not planned by a
// leader (another producer's), is kept: replaying it could only fail again
// or publish what dcp cannot account for.
ReplayDecision DecideReplay(const DeadLetter& letter, const std::optional<RunSummary>& run);

// One object per letter, for --json: run_id, task_id, selection, start,
// end (null when unknown), reason, dead_lettered_at, deliveries, malformed
// (null, or why the body is not a task message), body_bytes, status and
// attempt (the row's; null without one).
nlohmann::json DeadLetterJson(const DeadLetter& letter);

}  // namespace dcp::cli
