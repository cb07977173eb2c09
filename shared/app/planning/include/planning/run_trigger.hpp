#pragma once
// Starting a run by hand, written once for the three places that do it
// (`dcp-leader run`, `dcp trigger`, the monitor's POST /api/runs): the run's
// parameters as text become the request the cron path would build
// (BuildRunRequest), the Leader runs it, and its outcome is told to a human
// the same way everywhere.
#include <string>

#include "domain/local_time.hpp"
#include "domain/result.hpp"
#include "planning/leader.hpp"
#include "planning/run_parameters.hpp"

namespace dcp::planning {

// As BuildRunRequest, each reason naming the command-line flag (--from,
// --to, --window, --selections) of `dcp-leader run` and `dcp trigger`.
Result<RunRequest> BuildRunRequestOfFlags(const RunParameters& parameters, SysSeconds now,
                                          const TimeZone& tz);

// Builds the request of `parameters` (its default range from `now` in the
// leader's zone) and runs it. A bad parameter comes back as Error (naming
// it); infrastructure failures throw, as Leader::Run.
Result<RunOutcome> TriggerRun(Leader& leader, const RunParameters& parameters, SysSeconds now,
                              const TimeZone& tz, const std::string& trigger = "manual");

// Why a run did not start, for a human: "another leader holds the run lock"
// or "run <id> is still active". Precondition: status != kPublished.
std::string NotStartedReason(const RunOutcome& outcome);

// The line a command-line tool prints on stderr when the run did not start,
// with its advice (e.g. "--allow-overlap to force"), without a program
// prefix. Precondition: status != kPublished.
std::string NotStartedMessage(const RunOutcome& outcome);

// The exit code of a trigger: kExitOk (0) when published, 3 when another
// leader holds the lock or the previous run is active, 6 when a step of the
// job failed.
int TriggerExitCode(const RunOutcome& outcome);

}  // namespace dcp::planning
