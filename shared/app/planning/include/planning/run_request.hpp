#pragma once
// What a run computes: selections x date windows, and how that becomes the
// run's task list.
#include <string>
#include <string_view>
#include <vector>

#include "domain/local_time.hpp"
#include "domain/result.hpp"
#include "domain/window_plan.hpp"
#include "planning/task_plan.hpp"
#include "ports/workload.hpp"

namespace dcp::planning {

struct RunRequest {
  std::string trigger = "manual";  // manual | cron | local
  LocalDate from;
  LocalDate to;  // inclusive
  WindowSpec window;
  std::vector<std::string> selections;  // empty: every selection of the topology
};

// "all" (empty list) or "ID,ID,...": no empty or duplicate ids.
Result<std::vector<std::string>> ParseSelections(std::string_view text);

// The tasks of a run (see TaskPlan), each selection with its params. Errors:
// from > to, a selection that is not in the workload, or more than
// `max_tasks` tasks (checked before any is made).
Result<TaskPlan> PlanTasks(const RunRequest& request, const Workload& workload, const TimeZone& tz,
                           std::size_t max_tasks = 2'000'000);

// The request as JSON, recorded with the run.
std::string ParamsJson(const RunRequest& request, const TimeZone& tz);

}  // namespace dcp::planning
