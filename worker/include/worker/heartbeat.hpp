#pragma once
// Reports the worker as alive every `interval`, from a thread of its own
// (with its own database connection), so that a slow database never delays
// the event loop. Failures are logged and retried at the next beat.
#include <chrono>
#include <functional>
#include <memory>

#include "ports/worker_registry.hpp"
#include "runtime/periodic.hpp"

namespace dcp::worker {

class Heartbeat {
 public:
  // Called on the heartbeat thread: that thread's registry.
  using RegistryFactory = std::function<std::shared_ptr<WorkerRegistry>()>;
  // Thread-safe: the state to report now.
  using Snapshot = std::function<WorkerBeat()>;

  Heartbeat(RegistryFactory make_registry, Snapshot snapshot, std::chrono::milliseconds interval);

  void Start() { periodic_.Start(); }
  // Ends the thread after recording that the worker left. Idempotent.
  void Stop() { periodic_.Stop(); }

 private:
  RegistryFactory make_registry_;
  Snapshot snapshot_;
  std::shared_ptr<WorkerRegistry> registry_;  // the heartbeat thread's
  runtime::Periodic periodic_;                // last: stopped first
};

}  // namespace dcp::worker
