#include "grid/reference_computation.hpp"

#include <algorithm>
#include <utility>

#include "grid/topology_json.hpp"

namespace dcp::grid {

Result<std::string> ReferenceComputation::Compute(const TaskMessage& task, const RunContext& run,
                                                  int) {
  auto topology = TopologyOf(run.topology);
  if (!topology) return Error{topology.reason(), true};
  auto tz = TimeZone::Load(run.time_zone);
  if (!tz) return Error{tz.reason(), true};
  return FeederReport(**topology, *tz, task.selection, task.start, task.end);
}

Result<std::shared_ptr<const Topology>> ReferenceComputation::TopologyOf(const std::string& json) {
  std::vector<std::shared_ptr<const Entry>> snapshot;
  {
    runtime::MutexLock lock(mutex_);
    snapshot = cache_;
  }
  std::shared_ptr<const Entry> entry;
  for (const auto& candidate : snapshot) {
    if (candidate->json == json) entry = candidate;
  }
  if (!entry) {
    // Threads that miss together may parse twice, harmlessly.
    auto parsed = ParseTopology(json);
    if (!parsed) return Error{parsed.reason(), true};
    entry = std::make_shared<const Entry>(Entry{json, std::move(parsed).value()});
  }
  {
    runtime::MutexLock lock(mutex_);
    auto same = [&entry](const std::shared_ptr<const Entry>& e) { return e->json == entry->json; };
    if (auto it = std::find(cache_.begin(), cache_.end(), entry); it != cache_.end()) {
      std::rotate(cache_.begin(), it, it + 1);
    } else if (std::none_of(cache_.begin(), cache_.end(), same)) {
      if (cache_.size() == kCacheCapacity) cache_.pop_back();
      cache_.insert(cache_.begin(), entry);
    }
  }
  return std::shared_ptr<const Topology>(entry, &entry->topology);
}

}  // namespace dcp::grid
