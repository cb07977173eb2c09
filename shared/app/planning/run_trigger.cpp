#include "planning/run_trigger.hpp"

namespace dcp::planning {
namespace {

constexpr int kExitOk = 0;       // as infra/common_options.hpp
constexpr int kExitLocked = 3;   // as infra/common_options.hpp
constexpr int kExitJobStep = 6;  // as infra/common_options.hpp

}  // namespace

Result<RunRequest> BuildRunRequestOfFlags(const RunParameters& p, SysSeconds now,
                                          const TimeZone& tz) {
  if (auto window = WindowSpec::Parse(p.window); !window) {
    return Error{"--window: " + window.reason()};
  }
  if (auto selections = ParseSelections(p.selections); !selections) {
    return Error{"--selections: " + selections.reason()};
  }
  if (p.from.empty() != p.to.empty()) return Error{"--from and --to go together"};
  if (!p.from.empty()) {
    const auto from = ParseLocalDate(p.from);
    if (!from) return Error{"--from '" + p.from + "': expected YYYY-MM-DD"};
    const auto to = ParseLocalDate(p.to);
    if (!to) return Error{"--to '" + p.to + "': expected YYYY-MM-DD"};
    if (*to < *from) return Error{"--to " + p.to + " is before --from " + p.from};
  }
  return BuildRunRequest(p, now, tz);
}

Result<RunOutcome> TriggerRun(Leader& leader, const RunParameters& parameters, SysSeconds now,
                              const TimeZone& tz, const std::string& trigger) {
  auto request = BuildRunRequest(parameters, now, tz);
  if (!request) return Error{request.reason()};
  request.value().trigger = trigger;
  return leader.Run(*request);
}

std::string NotStartedReason(const RunOutcome& outcome) {
  if (outcome.status == RunOutcome::Status::kStepFailed) {
    return "run " + outcome.run->ToString() +
           " FAILED: a step of the job failed, nothing was published: " + outcome.failure;
  }
  if (outcome.status == RunOutcome::Status::kPreviousRunActive) {
    return "run " + outcome.run->ToString() + " is still active";
  }
  return "another leader holds the run lock";
}

std::string NotStartedMessage(const RunOutcome& outcome) {
  if (outcome.status == RunOutcome::Status::kStepFailed) return NotStartedReason(outcome);
  if (outcome.status == RunOutcome::Status::kPreviousRunActive) {
    return NotStartedReason(outcome) + "; not starting another (--allow-overlap to force)";
  }
  return NotStartedReason(outcome) + "; not starting a run";
}

int TriggerExitCode(const RunOutcome& outcome) {
  switch (outcome.status) {
    case RunOutcome::Status::kPublished:
      return kExitOk;
    case RunOutcome::Status::kStepFailed:
      return kExitJobStep;
    default:
      return kExitLocked;
  }
}

}  // namespace dcp::planning
