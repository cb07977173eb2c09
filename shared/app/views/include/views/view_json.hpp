#pragma once
// The JSON of the operator views, one codec for `dcp ... --json` and the
// monitor's API, so that scripts see the same fields from both. Times are
// UTC "YYYY-MM-DDTHH:MM:SSZ" or null; windows are the run's local time
// "YYYY-MM-DD HH:MM".
#include <nlohmann/json.hpp>

#include "ports/run_read_model.hpp"

namespace dcp::views {

// run_id, trigger, status, task_count, published, stale, counts{STATUS: n},
// created_at, finished_at, done, total, elapsed_seconds, rate, eta_seconds.
nlohmann::json RunJson(const RunSummary& run, SysSeconds now);
// task_id, seq, status, selection, start, end, attempt, worker, started_at,
// finished_at, duration_seconds, error.
nlohmann::json TaskJson(const TaskView& task);
// worker_id, host, pid, started_at, last_seen, stopped_at, tasks_done,
// in_flight, seconds_since_seen, alive (seen within stale_after, not stopped).
nlohmann::json WorkerJson(const WorkerView& worker, SysSeconds now,
                          std::chrono::seconds stale_after);

}  // namespace dcp::views
