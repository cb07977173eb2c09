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

RunStatus ParseRunStatusColumn(const std::string& text);

}  // namespace dcp::mysql
