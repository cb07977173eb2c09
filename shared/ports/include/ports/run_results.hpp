#pragma once
// A run's results, for its CSV export (dcp export, the completion report).
// Not thread-safe: one instance per thread. Throws DbError on failure.
#include <functional>
#include <string>

#include "domain/ids.hpp"
#include "domain/local_time.hpp"

namespace dcp {

class RunResults {
 public:
  virtual ~RunResults() = default;

  // Every result of the run, ordered by (selection, start, task_id): calls
  // `row(computation, selection, start, end, body)` for each.
  using ResultVisitor =
      std::function<void(const std::string& computation, const std::string& selection,
                         LocalMinute start, LocalMinute end, const std::string& body)>;
  virtual void ForEachResult(const RunId& run, const ResultVisitor& row) = 0;
};

}  // namespace dcp
