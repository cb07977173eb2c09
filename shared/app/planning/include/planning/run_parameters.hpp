#pragma once
// A run's parameters as text (flags of `dcp trigger`, the monitor's POST
// /api/runs) -> the RunRequest and leader settings that the cron path uses,
// so that a run started by hand is planned exactly as a scheduled one.
#include <string>

#include "domain/local_time.hpp"
#include "domain/result.hpp"
#include "job/job.hpp"
#include "planning/leader.hpp"
#include "planning/run_request.hpp"

namespace dcp::planning {

struct RunParameters {
  std::string from;              // YYYY-MM-DD; with `to`, or both empty: the previous month
  std::string to;                // inclusive
  std::string window = "month";  // month, week, day or Nh
  std::string selections = "all";
};

// Validates every field; an error names the field and what was expected.
// `now` picks the default range (the previous month of `tz`).
Result<RunRequest> BuildRunRequest(const RunParameters& parameters, SysSeconds now,
                                   const TimeZone& tz);

// Which of a run's parameters were given (flags, the body of a POST); the
// others are the job's.
struct GivenParameters {
  bool window = false;
  bool range = false;  // from and to
};

// The job's window and range where they were not given: its dates, or its
// relative range (previous-month, ...) as of `now`. Its range and window
// were checked when the job file was read.
void ApplyJobDefaults(const job::Job& job, GivenParameters given, SysSeconds now,
                      const TimeZone& tz, RunParameters& parameters);

}  // namespace dcp::planning
