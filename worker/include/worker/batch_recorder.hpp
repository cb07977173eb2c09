#pragma once
// The worker's recorder rounds: STARTED and FINISHED of many tasks in one
// TaskStore::RecordBatch (one transaction, one round trip).
//
// A round records the finished tasks and starts the next ones. If the batch
// write fails for good, one item the database refuses must not hold back
// the others: the finished tasks are recorded one by one (FinishTask), and
// the starting ones go on without a start (the pool threads then start them
// one by one, and report what fails). A finished task whose result the
// database refuses for good (too big, not storable) is FAILED with the
// database's reason and dead-lettered (processing::FailUnrecordable); one
// whose FINISHED cannot be recorded at all is dead-lettered
// (Outcome::NotRecorded). Stopping
// during a database outage (Abandoned) leaves every delivery of the round
// unacked.
//
// Not thread-safe: one per recorder thread, over that thread's store.
#include <string>
#include <string_view>
#include <vector>

#include "ports/task_store.hpp"
#include "processing/task_processor.hpp"
#include "runtime/db_retry.hpp"
#include "worker/delivery_stages.hpp"

namespace dcp::worker {

struct RecordedRound {
  // The starting jobs, in order: decoded (else `malformed` set) and with
  // their batch start where the batch gave one. Empty when abandoned.
  std::vector<Job> started;
  // The finishing tasks, decided (Acked kFinished / kDuplicate, or
  // NotRecorded); when abandoned, every delivery of the round, unacked.
  std::vector<Done> done;
  // The batch write went through (the database is reachable).
  bool written = false;
};

class BatchRecorder {
 public:
  // `store`, `retry` and `settings` must outlive the recorder.
  BatchRecorder(TaskStore& store, runtime::DbRetry& retry,
                const processing::ProcessorSettings& settings);

  RecordedRound Record(std::vector<Job> starting, std::vector<Finishing> finishing);

 private:
  Done FinishOne(Finishing& finishing);

  TaskStore& store_;
  runtime::DbRetry& retry_;
  const processing::ProcessorSettings& settings_;
};

}  // namespace dcp::worker
