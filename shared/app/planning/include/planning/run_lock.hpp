#pragma once
#include <exception>
#include <string>

#include "ports/run_planning_store.hpp"

namespace dcp::planning {

// Holds a job's run lock for a scope if it could be taken at once; releases
// it on every path out (it also ends with the database connection).
class RunLock {
 public:
  RunLock(RunPlanningStore& store, std::string job)
      : store_(store), job_(std::move(job)), held_(store.TryLockRuns(job_)) {}
  ~RunLock() {
    if (!held_) return;
    try {
      store_.UnlockRuns(job_);
    } catch (const std::exception&) {  // NOLINT(bugprone-empty-catch): released with the connection
    }
  }
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  bool held() const { return held_; }

 private:
  RunPlanningStore& store_;
  std::string job_;
  bool held_;
};

}  // namespace dcp::planning
