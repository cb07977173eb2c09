#pragma once
// The run row as RunSummary, read the same way by every query of the run
// stores (mysql_run_store.cpp, mysql_run_listing.cpp, mysql_run_export.cpp).
#include <string>

#include "mysql/session.hpp"
#include "ports/run_read_model.hpp"

namespace dcp::mysql {

// The run table's columns, aliased `r`, in the order RunSummaryRow reads.
inline constexpr const char* kRunColumns =
    "r.run_id, r.trigger_kind, r.job_name, r.status, r.task_count, r.published_tasks, "
    "r.created_at, r.finished_at, r.error, r.export_status, r.export_attempt, "
    "r.export_finished_at, r.export_error";
inline constexpr unsigned kRunColumnCount = 13;

// Columns 0 .. kRunColumnCount - 1 of `row`; counts and stale are left 0.
RunSummary RunSummaryRow(const Row& row);

// The task counts of the run aliased `r`, in the order ReadCounts reads
// in time that does not grow with the run: FINISHED, FAILED and CANCELLED
// are the run's counters (equal to its rows, written in the same
// transactions), STARTED the sum of its counts per worker (run_worker, a
// row per worker that started one of its tasks), QUEUED is what task_count
// leaves, or for a run of another producer (no task_count) what the rows
// its workers recorded (tasks_unplanned) leave. One statement: one snapshot.
// A function, not a constant: other files' constants are built from it.
const std::string& CountColumns();
inline constexpr unsigned kCountColumnCount = 5;
// Columns first .. first + kCountColumnCount - 1 of `row` into
// summary.counts (summary.task_count read before).
void ReadCounts(const Row& row, unsigned first, RunSummary& summary);

RunStatus ParseRunStatusColumn(const std::string& text);

}  // namespace dcp::mysql
