#include "infra/job_option.hpp"

#include <CLI/CLI.hpp>

namespace dcp {

void AddJobOption(CLI::App& app, std::string& path) {
  app.add_option("--job", path,
                 "the job file (YAML): its steps, window, range, schedule, queue "
                 "(default: the reference job)")
      ->envname("DCP_JOB");
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
