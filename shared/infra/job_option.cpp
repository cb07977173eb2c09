#include "infra/job_option.hpp"

#include <CLI/CLI.hpp>

namespace dcp {

void AddJobOption(CLI::App& app, std::string& path) {
  app.add_option("--job", path,
                 "the job file (YAML): its steps, window, range, schedule, queue "
                 "(default: the reference job)")
      ->envname("DCP_JOB");
}

void AddRunLimitOptions(CLI::App& app, planning::WorkloadLimits& limits) {
  app.add_option("--max-tasks-per-run", limits.max_tasks,
                 "a run planned with more tasks is refused")
      ->envname("DCP_MAX_TASKS_PER_RUN")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100'000'000}))
      ->capture_default_str();
  app.add_option_function<std::size_t>(
         "--max-topology-mib",
         [&limits](std::size_t mib) { limits.max_topology_bytes = mib << 20; },
         "MiB: a bigger topology (file or command output) fails the run (default 64)")
      ->envname("DCP_MAX_TOPOLOGY_MIB")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1024}));
}

bool Given(const CLI::App& app, const std::string& name) {
  const CLI::Option* option = app.get_option_no_throw(name);
  return option != nullptr && option->count() > 0;
}

Result<job::Job> ApplyJob(const CLI::App& app, const std::string& path, CommonSettings& common) {
  Result<job::Job> job =
      path.empty() ? Result<job::Job>(job::ReferenceJob()) : job::LoadJobFile(path);
  if (!job) return job;
  if (!Given(app, "--queue")) common.queue = job::QueueOf(*job);
  if (!Given(app, "--tz") && !job->tz.empty()) common.time_zone = job->tz;
  return job;
}

}  // namespace dcp
