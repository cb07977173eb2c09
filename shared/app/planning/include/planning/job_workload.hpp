#pragma once
// A job's topology and workload steps, run by whoever plans its runs (the
// leader, `dcp trigger`, the monitor) into the Workload the plan is made of:
// the topology (a file, or the output of a command: opaque bytes) and the
// selections (a list, a file, or the output of a command: one id per line,
// in order). Commands run in the box of process/command_runner.hpp, with the
// job file's directory as their working directory. The workload command
// finds the topology in the file named by DCP_TOPOLOGY_FILE.
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/result.hpp"
#include "job/job.hpp"
#include "ports/workload.hpp"

namespace dcp::planning {

struct WorkloadLimits {
  std::size_t max_topology_bytes = std::size_t{64} << 20;  // DCP_MAX_TOPOLOGY_MIB
  // DCP_MAX_TASKS_PER_RUN: a run's tasks, so its selections too (one task
  // per selection and window at least).
  std::size_t max_tasks = 2'000'000;
  std::chrono::seconds step_timeout{3600};  // a topology or workload command
};

// The job's steps run: the topology, then the workload. `reference` makes
// the builtin one (the reference grid: only the executables know it).
// Errors name the step and why: a command that failed (its exit and stderr
// tail), printed nothing or too much; a workload with an empty, duplicate,
// too long or invalid id, or too many (with the line number).
Result<Workload> BuildWorkload(const job::Job& job, const WorkloadLimits& limits,
                               const std::function<Result<Workload>()>& reference);

// The selections of a workload's text (a file, a command's stdout), in
// order, one per line: an id, or a JSON object {"id": "...", "params":
// {...}} (JSON Lines; params at most kMaxParamsBytes, compact, carried in
// the task messages). A last line without its newline counts. `origin`
// names the step in errors ("workload.command: line 3: duplicate id 'A'").
// The topology of the result is empty.
Result<Workload> ParseSelectionLines(std::string_view text, std::string_view origin,
                                     std::size_t max_selections);

// The checks of ParseSelectionLines on a list (workload.items, --selections).
Result<bool> CheckSelections(const std::vector<std::string>& selections, std::string_view origin,
                             std::size_t max_selections);

}  // namespace dcp::planning
