#pragma once
// How far a run is and how fast it goes: the numbers behind `dcp status`,
// `dcp runs` and the monitor's progress bars.
#include <cstdint>
#include <optional>

#include "ports/run_store.hpp"

namespace dcp::views {

struct RunProgress {
  std::int64_t done = 0;                    // FINISHED + FAILED + CANCELLED
  std::int64_t total = 0;                   // the task count (rows so far for external runs)
  std::int64_t elapsed_seconds = 0;         // created -> finished, or -> now if running
  double rate = 0;                          // done tasks per second over elapsed
  std::optional<std::int64_t> eta_seconds;  // running runs with a known rate only
};

// Pure: `now` is the caller's clock.
RunProgress ProgressOf(const RunSummary& run, SysSeconds now);

// UTC as "2024-01-31T23:59:00Z".
std::string FormatUtc(SysSeconds t);
// "42 s", "3 min 05 s", "2 h 07 min".
std::string FormatDuration(std::int64_t seconds);

}  // namespace dcp::views
