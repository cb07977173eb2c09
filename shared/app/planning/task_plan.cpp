#include "planning/task_plan.hpp"

#include <algorithm>

namespace dcp::planning {

TaskPlan::TaskPlan(std::vector<Window> windows, std::vector<std::string> selections,
                   std::vector<std::string> params)
    : windows_(std::move(windows)), selections_(std::move(selections)), params_(std::move(params)) {
  ids_.resize(windows_.size() * selections_.size());
  std::generate(ids_.begin(), ids_.end(), TaskId::New);
}

PlannedTask TaskPlan::At(std::size_t index) const {
  const Window& w = windows_[index / selections_.size()];
  const std::size_t selection = index % selections_.size();
  return PlannedTask{ids_[index],
                     static_cast<std::int64_t>(index) + 1,
                     selections_[selection],
                     w.start,
                     w.end,
                     params_.empty() ? std::string() : params_[selection]};
}

void TaskPlan::ForEachBatch(std::size_t max, const BatchVisitor& batch) const {
  std::vector<PlannedTask> tasks;
  tasks.reserve(std::min(max, size()));
  for (std::size_t first = 0; first < size(); first += max) {
    const std::size_t end = std::min(first + max, size());
    tasks.clear();
    for (std::size_t i = first; i < end; ++i) tasks.push_back(At(i));
    batch(tasks);
  }
}

}  // namespace dcp::planning
