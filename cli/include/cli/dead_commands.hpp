#pragma once
// dcp dead list / dcp dead replay: the dead-letter queue of the task queue
// (`<queue>.dead`), read through a QueueReader, so that what the commands do
// not ack goes back to the queue, also when they are killed midway.
#include <ostream>

#include "cli/cli_config.hpp"
#include "ports/run_store.hpp"

namespace dcp::cli {

// Shows at most c.dead_limit letters (of c.run if given) on `out` as a table
// or JSON array, then, on `note`, how many the queue holds. Acks nothing.
int DeadList(const CliConfig& c, RunStore& store, std::ostream& out, std::ostream& note);

// Looks at the first c.dead_limit letters (of c.run if given), decides for
// each by DecideReplay, and per run: requeues the FAILED tasks
// (RequeueFailedTasks), publishes them with confirms from their rows, marks
// the run published again, and only then acks their letters and the dropped
// ones. Kept letters, and those of other runs, go back to the queue. With
// c.dry_run it only says what it would do. One line per letter on `out`,
// the totals on `note`. A crash before the acks leaves the letters in the
// queue: replayed again, their tasks are QUEUED by then, so they are dropped
// (and a run left PUBLISHING is resumed): a task is never published twice
// by two replays, and never lost.
int DeadReplay(const CliConfig& c, RunStore& store, std::ostream& out, std::ostream& note);

}  // namespace dcp::cli
