#pragma once
#include <exception>

#include "ports/run_planning_store.hpp"

namespace dcp::planning {

// Holds the run lock for a scope if it could be taken at once; releases it
// on every path out (it also ends with the database connection).
class RunLock {
 public:
  explicit RunLock(RunPlanningStore& store) : store_(store), held_(store.TryLockRuns()) {}
  ~RunLock() {
    if (!held_) return;
    try {
      store_.UnlockRuns();
    } catch (const std::exception&) {  // NOLINT(bugprone-empty-catch): released with the connection
    }
  }
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  bool held() const { return held_; }

 private:
  RunPlanningStore& store_;
  bool held_;
};

}  // namespace dcp::planning
