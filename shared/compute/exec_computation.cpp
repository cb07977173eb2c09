#include "compute/exec_computation.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "process/command_runner.hpp"

extern char** environ;

namespace dcp::compute {
namespace {

// Topology files kept: the runs a worker may still get tasks of.
constexpr std::size_t kKeptTopologies = 4;

}  // namespace

ExecComputation::ExecComputation(ExecSettings settings)
    : settings_(std::move(settings)),
      argv_(settings_.argv.empty() ? std::vector<std::string>{"/bin/sh", "-c", settings_.command}
                                   : settings_.argv) {}

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

Result<std::string> ExecComputation::TopologyFile(const TaskMessage& task, const RunContext& run) {
  runtime::MutexLock lock(mutex_);
  for (const auto& [id, path] : topology_files_) {
    if (id == task.run_id) return path;
  }
  const std::filesystem::path dir =
      std::filesystem::path(settings_.work_dir) / "runs" / task.run_id.ToString();
  const std::filesystem::path path = dir / "topology";
  const std::filesystem::path partial = dir / "topology.partial";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  {
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    out.write(run.topology.data(), static_cast<std::streamsize>(run.topology.size()));
    out.close();
    if (!out) return Error{"exec: cannot write the topology file " + partial.string()};
  }
  chmod(partial.c_str(), 0444);  // read-only: one file shared by the run's tasks
  std::filesystem::rename(partial, path, ec);
  if (ec)
    return Error{"exec: cannot write the topology file " + path.string() + ": " + ec.message()};
  topology_files_.insert(topology_files_.begin(), {task.run_id, path.string()});
  if (topology_files_.size() > kKeptTopologies) {
    std::filesystem::remove_all(std::filesystem::path(topology_files_.back().second).parent_path(),
                                ec);
    topology_files_.pop_back();
  }
  return path.string();
}

Result<std::string> ExecComputation::Compute(const TaskMessage& task, const RunContext& run,
                                             int attempt) {
  TaskFiles files;
  std::optional<process::ScratchDirectory> task_dir;
  if (!settings_.work_dir.empty()) {
    auto file = TopologyFile(task, run);
    if (!file) return Error{file.reason()};
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
