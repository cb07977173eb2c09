#pragma once
// How far a run is and how fast it goes: the numbers behind `dcp status`,
// `dcp runs` and the monitor's progress bars.
#include <cstdint>
#include <optional>

#include "ports/run_read_model.hpp"

namespace dcp::views {

struct RunProgress {
  std::int64_t done = 0;             // FINISHED + FAILED + CANCELLED
  std::int64_t total = 0;            // the task count (rows so far for external runs)
  std::int64_t elapsed_seconds = 0;  // created -> finished, or -> now if running
  // The store keeps whole seconds: a run that ended within the second it
  // was created took under a second, and its rate is at least `done` per s.
  bool under_a_second = false;
  double rate = 0;  // done tasks per second over elapsed (over 1 s if under_a_second)
  std::optional<std::int64_t> eta_seconds;  // running runs with a known rate only
};

// Pure: `now` is the caller's clock.
RunProgress ProgressOf(const RunSummary& run, SysSeconds now);

// UTC as "2024-01-31T23:59:00Z".
std::string FormatUtc(SysSeconds t);
// "42 s", "3 min 05 s", "2 h 07 min".
std::string FormatDuration(std::int64_t seconds);

}  // namespace dcp::views
