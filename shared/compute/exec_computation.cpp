#include "compute/exec_computation.hpp"

#include "process/command_runner.hpp"

extern char** environ;

namespace dcp::compute {

ExecComputation::ExecComputation(ExecSettings settings)
    : settings_(std::move(settings)),
      argv_(settings_.argv.empty() ? std::vector<std::string>{"/bin/sh", "-c", settings_.command}
                                   : settings_.argv) {}

std::vector<std::string> ExecEnvironment(const TaskMessage& task, const RunContext& run,
                                         int attempt, const std::vector<std::string>& pass_env,
                                         const char* const* environment) {
  return process::BoxEnvironment(
      {
          "DCP_RUN_ID=" + task.run_id.ToString(),
          "DCP_TASK_ID=" + task.task_id.ToString(),
          "DCP_ATTEMPT=" + std::to_string(attempt),
          "DCP_SELECTION=" + task.selection,
          "DCP_START_DATE=" + FormatLocalMinute(task.start),
          "DCP_END_DATE=" + FormatLocalMinute(task.end),
          "DCP_TZ=" + run.time_zone,
      },
      pass_env, environment);
}

Result<std::string> ExecComputation::Compute(const TaskMessage& task, const RunContext& run,
                                             int attempt) {
  process::CommandSpec spec{
      .argv = argv_,
      .environment = ExecEnvironment(task, run, attempt, settings_.pass_env, environ),
      .directory = settings_.directory,
      .input = EncodeTaskMessage(task) + "\n",
      .timeout = settings_.timeout,
      .max_stdout = settings_.max_output_bytes,
      .memory_limit = settings_.memory_limit,
  };
  process::CommandOutcome outcome = process::RunCommand(spec);
  if (outcome.ok()) return std::move(outcome.out);
  if (outcome.end == process::CommandOutcome::End::kTooMuchOutput) {
    return Error{
        "exec: " + process::Describe(outcome, spec) + ", the result limit (DCP_MAX_RESULT_BYTES)",
        /*permanent=*/true};
  }
  return Error{"exec: " + process::Describe(outcome, spec)};
}

void ExecComputation::Abandon() { process::KillAllCommands(); }

}  // namespace dcp::compute
