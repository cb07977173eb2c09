#include "processing/run_context_cache.hpp"

#include <algorithm>

namespace dcp::processing {

std::shared_ptr<const RunContext> RunContextCache::Get(const RunId& run, TaskStore& store) {
  {
    runtime::MutexLock lock(mutex_);
    auto it = std::find_if(entries_.begin(), entries_.end(),
                           [&](const auto& e) { return e.first == run; });
    if (it != entries_.end()) return it->second;
  }
  // Loaded outside the lock: two threads may both load a new run once.
  auto loaded = store.LoadRunContext(run);
  auto context = std::make_shared<const RunContext>(
      loaded ? std::move(*loaded) : store.EnsureRunContext(run, fallback_));
  runtime::MutexLock lock(mutex_);
  entries_.insert(entries_.begin(), {run, context});
  if (entries_.size() > kCapacity) entries_.pop_back();
  return context;
}

}  // namespace dcp::processing
