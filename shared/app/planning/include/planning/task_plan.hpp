#pragma once
// The tasks of a run: every selection x every window, in window order then
// selection order, seq 1..N, each with its own fresh task id.
//
// A plan holds the windows, the selections and the task ids (16 bytes a
// task), not the tasks: PlannedTask records are built batch by batch as the
// run is recorded and published, so a run of 100,000 tasks never has them
// all in memory at once. Immutable once built: every pass yields the same
// tasks, with the same ids.
#include <cstddef>
#include <string>
#include <vector>

#include "domain/window_plan.hpp"
#include "ports/run_planning_store.hpp"

namespace dcp::planning {

class TaskPlan final : public TaskBatches {
 public:
  TaskPlan() = default;
  // Draws one task id per (window, selection). `params`: each selection's
  // (see Workload::params), or empty.
  TaskPlan(std::vector<Window> windows, std::vector<std::string> selections,
           std::vector<std::string> params = {});

  std::size_t size() const override { return ids_.size(); }
  std::size_t selection_count() const { return selections_.size(); }
  bool empty() const { return ids_.empty(); }
  // The task at `index` (seq index + 1). Precondition: index < size().
  PlannedTask At(std::size_t index) const;
  void ForEachBatch(std::size_t max, const BatchVisitor& batch) const override;

 private:
  std::vector<Window> windows_;
  std::vector<std::string> selections_;
  std::vector<std::string> params_;  // by selection, or empty
  std::vector<TaskId> ids_;          // by index: windows_[i / S] x selections_[i % S]
};

}  // namespace dcp::planning
