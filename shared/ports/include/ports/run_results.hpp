#pragma once
// A run's tasks and their results, in the workload's order, for its export
// (the job's export command, `dcp export`, the completion report's CSV).
// Not thread-safe: one instance per thread. Throws DbError on failure.
#include <functional>
#include <optional>
#include <string>

#include "domain/ids.hpp"
#include "domain/local_time.hpp"
#include "domain/task_status.hpp"

namespace dcp {

// One task of a run as its export sees it.
struct TaskOutcome {
  TaskId id;
  std::string selection;
  LocalMinute start;
  LocalMinute end;  // inclusive
  TaskStatus status = TaskStatus::kQueued;
  std::string computation;            // of the result; "" if none
  std::optional<std::string> result;  // the FINISHED task's result
  std::string error;                  // the last error ("" if none)
  std::string params;                 // the task's params (JSON object); "" if none
};

class RunResults {
 public:
  virtual ~RunResults() = default;

  // Every task of the run in the workload's order, then window start, then
  // task id: the order of the for loop a job comes from (selections outer,
  // windows inner), whatever order the tasks ran in. Runs planned before
  // the workload's order was recorded (and runs of other producers) come in
  // (selection, start, task id) order.
  using TaskVisitor = std::function<void(const TaskOutcome& task)>;
  virtual void ForEachTask(const RunId& run, const TaskVisitor& task) = 0;
};

}  // namespace dcp
