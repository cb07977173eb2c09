#pragma once
// Each run's context (time zone, topology) is loaded once per worker and
// shared by its threads. Thread-safe.
#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

#include "domain/ids.hpp"
#include "ports/run_context.hpp"
#include "ports/task_store.hpp"
#include "runtime/mutex.hpp"

namespace dcp::processing {

class RunContextCache {
 public:
  static constexpr std::size_t kCapacity = 8;

  // `fallback` is stored for runs that have no context of their own (sent by
  // another producer): this worker's time zone and topology.
  explicit RunContextCache(RunContext fallback) : fallback_(std::move(fallback)) {}

  // The run's context, from the cache or else from `store` (may throw
  // DbError; nothing is cached then).
  std::shared_ptr<const RunContext> Get(const RunId& run, TaskStore& store);

 private:
  RunContext fallback_;
  runtime::Mutex mutex_;
  std::vector<std::pair<RunId, std::shared_ptr<const RunContext>>> entries_  // newest first
      DCP_GUARDED_BY(mutex_);
};

}  // namespace dcp::processing
