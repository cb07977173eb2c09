#pragma once
// The ack / dead-letter rule, written once. For each message body:
//   1. decode and validate; malformed -> FAILED row if a task id can be read,
//      dead-letter with the reason (never retried: it cannot get better);
//   2. STARTED (attempt + 1); already FINISHED -> ack and skip;
//   3. attempts exhausted (it crashed or hung the worker on every earlier
//      delivery) -> FAILED, dead-letter;
//   4. compute; failure -> FAILED with the error text, dead-letter;
//   5. store the result and FINISHED in one transaction, then ack.
// Database writes go through DbRetry: nothing is acked that was not
// recorded. Used by the worker (one processor per pool thread) and by the
// leader's --local run alike.
#include <optional>
#include <string>
#include <string_view>

#include "domain/ids.hpp"
#include "ports/computation.hpp"
#include "ports/task_store.hpp"
#include "worker/db_retry.hpp"
#include "worker/run_context_cache.hpp"

namespace dcp::worker {

struct Outcome {
  enum class Action { kAck, kDeadLetter };
  enum class Kind { kFinished, kDuplicate, kSkipped, kMalformed, kFailed, kGaveUp };
  Action action = Action::kAck;
  Kind kind = Kind::kFinished;
  std::string reason;  // kDeadLetter: why, one line
  std::optional<TaskId> task;
  int attempt = 0;
};

struct ProcessorSettings {
  std::string worker_id;  // recorded on STARTED; host:pid by default
  int max_attempts = 5;   // deliveries of one task before it is FAILED for good
};

// Not thread-safe: one per thread, with that thread's TaskStore.
class TaskProcessor {
 public:
  TaskProcessor(TaskStore& store, Computation& computation, RunContextCache& contexts,
                DbRetry& retry, ProcessorSettings settings);

  // Throws Abandoned (stop requested during a database outage) or a
  // permanent DbError: the message must then be neither acked nor rejected.
  Outcome Process(std::string_view body);

 private:
  Outcome Fail(const TaskMessage& task, Outcome::Kind kind, const std::string& reason, int attempt);

  TaskStore& store_;
  Computation& computation_;
  RunContextCache& contexts_;
  DbRetry& retry_;
  ProcessorSettings settings_;
};

}  // namespace dcp::worker
