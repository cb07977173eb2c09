#pragma once
// The run's topology as a read-only file for a team's program (the
// DCP_TOPOLOGY_FILE of a task, the topology_file of a persistent request):
// runs/<run>/topology under the worker's work directory, written once per
// run from the verified bytes, the last few runs' kept. Thread-safe.
#include <string>
#include <utility>
#include <vector>

#include "domain/ids.hpp"
#include "domain/result.hpp"
#include "runtime/mutex.hpp"

namespace dcp::compute {

class TopologyFiles {
 public:
  explicit TopologyFiles(std::string work_dir) : work_dir_(std::move(work_dir)) {}
  // The file of `run`, written from `topology` on the run's first call.
  // Error: it cannot be written.
  Result<std::string> PathFor(const RunId& run, const std::string& topology);

 private:
  std::string work_dir_;
  runtime::Mutex mutex_;
  std::vector<std::pair<RunId, std::string>> files_ DCP_GUARDED_BY(mutex_);  // newest first
};

}  // namespace dcp::compute
