#pragma once
// The embedded default computation: for a task, the FeederReport of the
// feeder named by the selection over the task's window, in the run's
// topology and time zone. The CSV header is kReferenceCsvHeader
// (feeder_report.hpp).
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "grid/feeder_report.hpp"
#include "grid/topology.hpp"
#include "ports/computation.hpp"
#include "runtime/mutex.hpp"

namespace dcp::grid {

class ReferenceComputation final : public Computation {
 public:
  // How many parsed topologies are kept. A worker serves one run at a time
  // in the common case; a few more cover overlapping runs without reparsing.
  static constexpr std::size_t kCacheCapacity = 4;

  std::string_view name() const override { return "reference"; }
  // Errors: an invalid topology or time zone in `run`, or an unknown
  // selection. Thread-safe: a mutex guards only the list of cached
  // topologies; comparing, parsing and computing run outside it.
  Result<std::string> Compute(const TaskMessage& task, const RunContext& run, int attempt) override;

 private:
  Result<std::shared_ptr<const Topology>> TopologyOf(const std::string& json);

  struct Entry {
    std::string json;  // the full text is the key: no collision can mix runs up
    Topology topology;
  };
  runtime::Mutex mutex_;
  std::vector<std::shared_ptr<const Entry>> cache_ DCP_GUARDED_BY(mutex_);  // most recent first
};

}  // namespace dcp::grid
