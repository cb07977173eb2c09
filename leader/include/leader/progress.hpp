#pragma once
// Follows a run to its end, printing a progress line (done/total, rate,
// ETA) to `out` at each poll of the database.
#include <chrono>
#include <iosfwd>
#include <string>

#include "ports/run_read_model.hpp"

namespace dcp::leader {

// One line, e.g. "run 1c2b...: 45/96 done, 0 failed, 3 running, 12.3 tasks/s, ETA 4 s".
std::string ProgressLine(const RunSummary& run, double tasks_per_second);

// Polls until the run is FINISHED or FAILED; returns that summary.
RunSummary FollowRun(RunReadModel& store, const RunId& run, std::chrono::milliseconds interval,
                     std::ostream& out);

}  // namespace dcp::leader
