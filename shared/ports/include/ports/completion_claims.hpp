#pragma once
// Claims on reporting a run's completion (completion::CompletionNotifier).
// Not thread-safe: one instance per thread. Throws DbError on failure.
#include <chrono>
#include <optional>

#include "domain/ids.hpp"
#include "ports/run_read_model.hpp"

namespace dcp {

class CompletionClaims {
 public:
  virtual ~CompletionClaims() = default;

  // At most one claimer per run: claims a run that has ended (FINISHED,
  // FAILED or CANCELLED) and whose completion has not been reported, by one
  // conditional UPDATE, and returns it. A claim whose claimer did not call
  // CompletionReported within `lease` (it died) may be claimed again.
  // nullopt: nothing to report.
  virtual std::optional<RunSummary> ClaimCompletion(std::chrono::seconds lease) = 0;
  virtual void CompletionReported(const RunId& run) = 0;
};

}  // namespace dcp
