#include "planning/run_request.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

namespace dcp::planning {

Result<std::vector<std::string>> ParseSelections(std::string_view text) {
  std::vector<std::string> out;
  if (text == "all") return out;
  std::set<std::string> seen;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const auto comma = std::min(text.find(',', pos), text.size());
    std::string id(text.substr(pos, comma - pos));
    if (id.empty()) return Error{"selections: empty id in '" + std::string(text) + "'"};
    if (!seen.insert(id).second) return Error{"selections: '" + id + "' given twice"};
    out.push_back(std::move(id));
    pos = comma + 1;
  }
  return out;
}

Result<TaskPlan> PlanTasks(const RunRequest& request, const Workload& workload, const TimeZone& tz,
                           std::size_t max_tasks) {
  if (request.to < request.from) {
    return Error{"--to " + FormatLocalDate(request.to) + " is before --from " +
                 FormatLocalDate(request.from)};
  }
  const std::vector<std::string>& known = workload.selections;
  const std::vector<std::string>& selections =
      request.selections.empty() ? known : request.selections;
  std::vector<std::string> params;
  for (const auto& s : selections) {
    const auto at = std::find(known.begin(), known.end(), s);
    if (at == known.end()) return Error{"selection '" + s + "' is not in the workload"};
    if (!workload.params.empty()) {
      params.push_back(workload.params[static_cast<std::size_t>(at - known.begin())]);
    }
  }
  std::vector<Window> windows = PlanWindows(request.from, request.to, request.window, tz);
  if (!selections.empty() && windows.size() > max_tasks / selections.size()) {
    return Error{"the run would have " + std::to_string(windows.size() * selections.size()) +
                 " tasks, more than " + std::to_string(max_tasks) + " (DCP_MAX_TASKS_PER_RUN)"};
  }
  return TaskPlan(std::move(windows), selections, std::move(params));
}

std::string ParamsJson(const RunRequest& request, const TimeZone& tz) {
  static constexpr const char* kKinds[] = {"month", "week", "day", "hours", "none"};
  nlohmann::json j = {
      {"from", FormatLocalDate(request.from)},
      {"to", FormatLocalDate(request.to)},
      {"window", request.window.kind == WindowSpec::Kind::kHours
                     ? std::to_string(request.window.hours) + "h"
                     : kKinds[static_cast<int>(request.window.kind)]},
      {"selections",
       request.selections.empty() ? nlohmann::json("all") : nlohmann::json(request.selections)},
      {"tz", tz.name()}};
  return j.dump();
}

}  // namespace dcp::planning
