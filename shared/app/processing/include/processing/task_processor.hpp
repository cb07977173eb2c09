#pragma once
// The ack / dead-letter rule, written once. For each message body:
//   1. decode and validate; malformed -> FAILED row if a task id can be read,
//      dead-letter with the reason (never retried: it cannot get better);
//   2. STARTED (attempt + 1); already FINISHED, or CANCELLED (its run was
//      cancelled) -> ack and skip;
//   3. attempts exhausted (it crashed or hung the worker on every earlier
//      delivery) -> FAILED, dead-letter;
//   4. compute; failure -> retried later with a growing delay (QUEUED
//      again, message to the retry queue) while attempts remain, else
//      FAILED with the error text and dead-lettered; an error that retrying
//      cannot fix (unknown selection...) is FAILED at once;
//   5. a result the database could never store (over max_result_bytes, not
//      UTF-8) -> FAILED at once, dead-letter; else store the result and
//      FINISHED in one transaction, then ack (a result the database refuses
//      for good, FailUnrecordable).
// A failure is written only by the delivery that owns the task's current
// attempt (ports/task_store.hpp, Ownership): a stale one is told kNotOwner
// and hands its message back (a retry after the usual delay) instead of
// acking or dead-lettering it, so a task whose owner died with its broker
// connection still has a message; one whose task ended meanwhile is acked.
// Database writes go through DbRetry: nothing is acked that was not
// recorded. Process() is the whole rule for one message (the leader's
// --local run); the worker runs steps 2-4 with Compute() on its pool threads
// and records STARTED and FINISHED of many tasks per round trip (steps 2 and
// 5 by TaskStore::RecordBatch, before and after Compute).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "domain/ids.hpp"
#include "ports/computation.hpp"
#include "ports/task_store.hpp"
#include "processing/outcome.hpp"
#include "processing/run_context_cache.hpp"
#include "runtime/db_retry.hpp"

namespace dcp::processing {

// 4 MiB: a quarter of MariaDB's default max_allowed_packet (16 MiB).
inline constexpr std::size_t kDefaultMaxResultBytes = std::size_t{4} << 20;

struct ProcessorSettings {
  std::string worker_id;  // recorded on STARTED; host:pid by default
  int max_attempts = 5;   // attempts of one task (crashes included) before it is FAILED
  // A failed computation is retried after retry_delay * 2^(attempt - 1),
  // at most max_retry_delay: a passing fault clears, a lasting one costs
  // little.
  std::chrono::milliseconds retry_delay{std::chrono::seconds(5)};
  std::chrono::milliseconds max_retry_delay{std::chrono::minutes(5)};
  // A result over this size, or not valid UTF-8, fails its task at once,
  // before the database sees it (DCP_MAX_RESULT_BYTES).
  std::size_t max_result_bytes = kDefaultMaxResultBytes;
  // The job this worker was given (--job): a task of a run planned with
  // another job, or another version of it (sha256), fails as retryable with
  // both named, so that a worker of the right version may take it; never
  // computed with the wrong steps. Empty sha256: no job given, no check.
  std::string job_name{};
  std::string job_sha256{};
};

// Why a worker of job `name` (`sha256`) must not compute a task of a run
// with `run`'s job, if it must not.
std::optional<std::string> JobMismatch(const ProcessorSettings& settings, const RunContext& run);

// The delay before attempt + 1, after attempt `attempt` failed.
std::chrono::milliseconds RetryDelay(const ProcessorSettings& settings, int attempt);

// A computed task whose result the database refuses for good (a kData
// DbError: too big for the server, not storable in the column): FAILED by
// its owner with the database's reason and dead-lettered (kNotRecorded); an
// ack if it ended meanwhile, handed back if another delivery holds it.
// Throws as TaskProcessor::Process.
Outcome FailUnrecordable(TaskStore& store, runtime::DbRetry& retry,
                         const ProcessorSettings& settings, const TaskMessage& task, int attempt,
                         const std::string& error);

// Not thread-safe: one per thread, with that thread's TaskStore.
class TaskProcessor {
 public:
  TaskProcessor(TaskStore& store, Computation& computation, RunContextCache& contexts,
                runtime::DbRetry& retry, ProcessorSettings settings);

  // The whole rule; never a Finish (recorded here). Throws Abandoned (stop
  // requested during a database outage) or a permanent DbError: the message
  // must then be neither acked nor rejected.
  Outcome Process(std::string_view body);

  // Steps 2-4 for a decoded message. `start`: its RecordBatch result if the
  // batch started it, else nullopt (StartTask is called here). Success is
  // a Finish: the caller records it (Outcome::Recorded). Throws as Process.
  Outcome Compute(const TaskMessage& task, std::optional<StartResult> start);
  // Step 1's failure, for a body that does not decode.
  Outcome Malformed(std::string_view body, const std::string& error);

 private:
  Outcome Fail(const TaskMessage& task, DeadLetter::Kind kind, const std::string& reason,
               int attempt);
  Outcome Requeue(const TaskMessage& task, const std::string& reason, int attempt);

  TaskStore& store_;
  Computation& computation_;
  RunContextCache& contexts_;
  runtime::DbRetry& retry_;
  ProcessorSettings settings_;
};

}  // namespace dcp::processing
