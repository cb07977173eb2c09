#pragma once
// The reference workload for one task: the load of one feeder's subtree over
// one window of local time, as CSV rows. Pure and deterministic: the same
// inputs give the same bytes on every run and thread. Thread-safe.
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "domain/local_time.hpp"
#include "domain/result.hpp"
#include "grid/topology.hpp"

namespace dcp::grid {

// The columns of FeederReport's rows (no trailing newline).
inline constexpr std::string_view kReferenceCsvHeader =
    "selection,start_date,end_date,node_id,node_type,intervals,energy_kwh,peak_kw,peak_at,"
    "load_factor";

// The 15-minute intervals of a window, in absolute time. The window is
// [tz.ToSys(start), tz.ToSys(end + 1 min)) (the one mapping rule of
// local_time.hpp); an interval belongs to it when its start does, and
// interval starts are multiples of 15 minutes since the epoch. So windows
// that tile local time tile the intervals too, and a local day has 92 or 100
// intervals on DST change days, 96 otherwise.
struct IntervalPlan {
  SysMinutes first{};     // start of the first interval
  std::size_t count = 0;  // 0 when the window is empty (e.g. inside a DST gap)
};
IntervalPlan PlanIntervals(const TimeZone& tz, LocalMinute start, LocalMinute end_inclusive);

// One row per node of the feeder's subtree (the feeder, its transformers and
// meters), sorted by node id, each ending in '\n':
//   selection,start_date,end_date  the task (dates as in the message)
//   node_id,node_type
//   intervals    count of 15-minute intervals in the window
//   energy_kwh   sum of load_kW * 0.25 (%.3f); a parent's load is the sum of
//                its children's, so a feeder's energy is its meters' total
//   peak_kw      highest interval load (%.3f)
//   peak_at      local start of the first peak interval with its UTC offset,
//                e.g. 2024-10-27T02:15+02:00; empty if there are no intervals
//   load_factor  mean load / peak load (%.4f), 0 if the peak is 0
// Numbers use the "C" numeric locale, the default of any process that does
// not call setlocale. Error "unknown selection 'X': no feeder with that id" when `selection` is
// not a feeder of `topology`.
Result<std::string> FeederReport(const Topology& topology, const TimeZone& tz,
                                 std::string_view selection, LocalMinute start,
                                 LocalMinute end_inclusive);

}  // namespace dcp::grid
