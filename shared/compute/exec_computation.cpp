#include "compute/exec_computation.hpp"

#include <unistd.h>

#include <filesystem>

#include "process/command_runner.hpp"

extern char** environ;

namespace dcp::compute {

ExecComputation::ExecComputation(ExecSettings settings)
    : settings_(std::move(settings)),
      argv_(settings_.argv.empty() ? std::vector<std::string>{"/bin/sh", "-c", settings_.command}
                                   : settings_.argv),
      topology_files_(settings_.work_dir) {}

std::vector<std::string> ExecEnvironment(const TaskMessage& task, const RunContext& run,
                                         int attempt, const std::vector<std::string>& pass_env,
                                         const char* const* environment, const TaskFiles& files) {
  std::vector<std::string> own = {
      "DCP_RUN_ID=" + task.run_id.ToString(),
      "DCP_TASK_ID=" + task.task_id.ToString(),
      "DCP_ATTEMPT=" + std::to_string(attempt),
      "DCP_SELECTION=" + task.selection,
      "DCP_START_DATE=" + FormatLocalMinute(task.start),
      "DCP_END_DATE=" + FormatLocalMinute(task.end),
      "DCP_TZ=" + run.time_zone,
  };
  if (!run.job_name.empty()) own.push_back("DCP_JOB=" + run.job_name);
  if (!files.topology.empty()) own.push_back("DCP_TOPOLOGY_FILE=" + files.topology);
  if (!files.work_dir.empty()) own.push_back("DCP_WORK_DIR=" + files.work_dir);
  return process::BoxEnvironment(std::move(own), pass_env, environment);
}

Result<std::string> ExecComputation::Compute(const TaskMessage& task, const RunContext& run,
                                             int attempt) {
  TaskFiles files;
  std::optional<process::ScratchDirectory> task_dir;
  if (!settings_.work_dir.empty()) {
    auto file = topology_files_.PathFor(task.run_id, run.topology);
    if (!file) return Error{"exec: " + file.reason()};
    files.topology = std::move(file).value();
    task_dir.emplace((std::filesystem::path(settings_.work_dir) / "tasks" /
                      (task.task_id.ToString() + "." + std::to_string(attempt)))
                         .string());
    if (task_dir->path().empty()) return Error{"exec: cannot make the task's work directory"};
    files.work_dir = task_dir->path();
  }
  process::CommandSpec spec{
      .argv = argv_,
      .environment = ExecEnvironment(task, run, attempt, settings_.pass_env, environ, files),
      .directory = settings_.directory,
      .input = EncodeTaskMessage(task) + "\n",
      .input_file = {},
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
