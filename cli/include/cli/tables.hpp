#pragma once
// The plain-text tables of `dcp runs`, `tasks`, `workers` and `dead list`: one
// line per item, columns separated by two spaces, for a terminal (scripts use
// --json). Text from the database is shown as stored, with control
// characters replaced by '?' so that it cannot move the cursor.
#include <chrono>
#include <string>
#include <vector>

#include "cli/dead_letters.hpp"
#include "ports/retention_store.hpp"
#include "ports/run_store.hpp"

namespace dcp::cli {

// id, trigger, started, status, done/total, duration.
std::string RunsTable(const std::vector<RunSummary>& runs, SysSeconds now);
// task id, status, selection, window, attempts, worker, duration, error.
std::string TasksTable(const std::vector<TaskView>& tasks);
// id, host, last heartbeat (seconds ago), tasks done, in flight, state.
std::string WorkersTable(const std::vector<WorkerView>& workers, SysSeconds now,
                         std::chrono::seconds stale_after);
// dcp dead list: run, task, selection, window, status (the row's, with its
// attempts), dead-lettered (UTC), deliveries, reason. A malformed letter
// shows what could be read of it and "(malformed, N bytes)" as its
// selection, and why it is malformed after its reason.
std::string DeadLettersTable(const std::vector<DeadLetter>& letters);
// dcp purge: run, job, status, last active (UTC).
std::string PurgeTable(const std::vector<ExpiredRun>& runs);

}  // namespace dcp::cli
