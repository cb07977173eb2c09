#pragma once
#include <exception>
#include <string>

#include "ports/errors.hpp"
#include "ports/run_planning_store.hpp"

namespace dcp::planning {

// Holds a job's run lock for a scope if it could be taken at once; releases
// it on every path out (if the process dies, its lease ends by itself).
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
  // Throws LockLostError if the lock was taken and has been lost since (its
  // lease could not be renewed in time, or another leader took it over):
  // called before each thing the lock protects, which then does not happen.
  void Check() const {
    if (held_ && !store_.RunLockHeld(job_)) {
      throw LockLostError("lost the run lock of job '" + job_ +
                          "' (its lease could not be renewed in time, or another leader took "
                          "it over): stopped; the next leader resumes the run");
    }
  }

 private:
  RunPlanningStore& store_;
  std::string job_;
  bool held_;
};

}  // namespace dcp::planning
