#include "completion/export_step.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>

#include "process/command_runner.hpp"
#include "views/export_csv.hpp"

extern char** environ;

namespace dcp::completion {
namespace {

std::chrono::seconds TimeoutOf(const job::Job& job) {
  return job.export_step.timeout ? std::chrono::seconds(*job.export_step.timeout)
                                 : kDefaultExportTimeout;
}

// <work_dir>/export-<pid>.<n>: one per export run by this process.
std::string ScratchPath(const std::string& work_dir) {
  static std::atomic<unsigned> exports{0};
  return (work_dir.empty() ? std::string("/tmp") : work_dir) + "/export-" +
         std::to_string(getpid()) + "." + std::to_string(exports++);
}

}  // namespace

std::vector<JobVersion> ExportingJobs(const std::vector<job::Job>& jobs) {
  std::vector<JobVersion> exporting;
  for (const job::Job& job : jobs) {
    if (!job.export_step.command.empty()) exporting.push_back(JobVersion{job.name, job.sha256});
  }
  return exporting;
}

std::chrono::seconds ExportLease(const std::vector<job::Job>& jobs) {
  std::chrono::seconds longest{0};
  for (const job::Job& job : jobs) {
    if (!job.export_step.command.empty()) longest = std::max(longest, TimeoutOf(job));
  }
  return longest + kExportLeaseMargin;
}

Result<bool> RunExportCommand(const job::Job& job, RunResults& results, const ExportClaim& claim,
                              const ExportSettings& settings) {
  const process::ScratchDirectory scratch(ScratchPath(settings.work_dir));
  if (scratch.path().empty())
    return Error{"cannot make a scratch directory in " + settings.work_dir};
  // The tasks go through a file, not memory: a run's results may be large.
  const std::string input = scratch.path() + "/tasks.jsonl";
  std::int64_t tasks = 0;
  {
    std::ofstream out(input, std::ios::binary | std::ios::trunc);
    tasks = views::ExportLines(results, claim.run, out);
    out.flush();
    if (!out) return Error{"cannot write the export's input " + input};
  }
  std::vector<std::string> own = {
      "DCP_RUN_ID=" + claim.run.ToString(),
      "DCP_RUN_STATUS=" + std::string(ToString(claim.run_status)),
      "DCP_EXPORT_ATTEMPT=" + std::to_string(claim.attempt),
      "DCP_JOB=" + job.name,
      "DCP_WORK_DIR=" + scratch.path(),
  };
  if (!settings.export_dir.empty()) own.push_back("DCP_EXPORT_DIR=" + settings.export_dir);
  process::CommandSpec spec;
  spec.argv = job.export_step.command.argv;
  spec.environment = process::BoxEnvironment(std::move(own), job.export_step.env, environ);
  spec.directory = job.directory;
  spec.input_file = input;
  spec.timeout = TimeoutOf(job);
  spdlog::info("run {}: export attempt {} of {} tasks", claim.run.ToString(), claim.attempt, tasks);
  const process::CommandOutcome outcome = process::RunCommand(spec);
  if (!outcome.ok()) return Error{process::Describe(outcome, spec, 4000)};
  return true;
}

ExportRunner::ExportRunner(ExportClaims& claims, RunResults& results, std::vector<job::Job> jobs,
                           ExportSettings settings, runtime::Stopper& stopper)
    : claims_(claims),
      results_(results),
      jobs_(std::move(jobs)),
      settings_(std::move(settings)),
      stopper_(stopper) {}

int ExportRunner::RunDue(const std::optional<RunId>& only, int* failed) {
  const std::vector<JobVersion> exporting = ExportingJobs(jobs_);
  const std::chrono::seconds lease = ExportLease(jobs_);
  int ran = 0;
  while (!stopper_.stopped()) {
    const auto claim = claims_.ClaimExport(exporting, lease, only);
    if (!claim) break;
    const std::string run = claim->run.ToString();
    // The claim is of a run of one of our jobs (name and version).
    const auto job = std::find_if(jobs_.begin(), jobs_.end(),
                                  [&](const job::Job& j) { return j.name == claim->job; });
    if (job == jobs_.end()) break;
    const Result<bool> done = RunExportCommand(*job, results_, *claim, settings_);
    // Cut short by a stop: left claimed, for the lease to hand it over.
    if (stopper_.stopped()) break;
    ++ran;
    if (done) {
      spdlog::info("run {}: export attempt {} FINISHED", run, claim->attempt);
    } else {
      if (failed != nullptr) ++*failed;
      spdlog::error("run {}: export attempt {} FAILED: {}", run, claim->attempt, done.reason());
    }
    claims_.ExportEnded(*claim, static_cast<bool>(done), done ? "" : done.reason());
  }
  return ran;
}

ExportService::ExportService(Factory make_parts, std::vector<job::Job> jobs,
                             ExportSettings settings, std::chrono::milliseconds poll)
    : make_parts_(std::move(make_parts)),
      jobs_(std::move(jobs)),
      settings_(std::move(settings)),
      periodic_("exports", poll, [this](runtime::Stopper&) { Tick(); }) {}

void ExportService::Stop() {
  stopping_.Stop();
  process::KillAllCommands();
  periodic_.Stop();
}

void ExportService::Tick() {
  try {
    if (!parts_.claims) parts_ = make_parts_();
    ExportRunner(*parts_.claims, *parts_.results, jobs_, settings_, stopping_).RunDue();
  } catch (...) {
    parts_ = {};  // reconnect next time
    throw;
  }
}

}  // namespace dcp::completion
