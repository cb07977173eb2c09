#pragma once
// --job FILE / DCP_JOB: the job a binary plans or computes (the reference
// job when none is given). A flag or variable wins over the job file.
#include <string>

#include "domain/result.hpp"
#include "infra/common_options.hpp"
#include "job/job.hpp"
#include "planning/job_workload.hpp"

namespace CLI {
class App;
}

namespace dcp {

// --max-tasks-per-run (DCP_MAX_TASKS_PER_RUN) and --max-topology-mib
// (DCP_MAX_TOPOLOGY_MIB) into `limits`: the bounds of a run, the same for
// whoever plans one (the leader, `dcp trigger`, the monitor).
void AddRunLimitOptions(CLI::App& app, planning::WorkloadLimits& limits);

// Adds --job FILE (DCP_JOB) to `app`, into `path`.
void AddJobOption(CLI::App& app, std::string& path);

// The job of `path` (empty: the reference job). Fills in the shared settings
// it holds unless their flag or variable was given on `app`: the queue
// (job::QueueOf) and the time zone (the job's tz).
Result<job::Job> ApplyJob(const CLI::App& app, const std::string& path, CommonSettings& common);

// Whether the option `name` of `app` was given (as a flag or its variable).
bool Given(const CLI::App& app, const std::string& name);

}  // namespace dcp
