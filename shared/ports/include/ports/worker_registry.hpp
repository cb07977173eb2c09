#pragma once
// Workers' heartbeats: who is alive, what it is doing. Not thread-safe: one
// instance per thread. Throws DbError on failure.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dcp {

struct WorkerBeat {
  std::string worker_id;
  std::string host;
  std::int64_t pid = 0;
  std::int64_t tasks_done = 0;  // settled since start
  std::int64_t in_flight = 0;   // received, not yet settled
  // The task it computes now (the longest-running one), none when idle.
  std::optional<std::string> current_task;
};

class WorkerRegistry {
 public:
  virtual ~WorkerRegistry() = default;
  // Records the worker as alive now (creating its row on the first beat).
  virtual void Beat(const WorkerBeat& beat) = 0;
  // Records that the worker stopped cleanly.
  virtual void Leave(std::string_view worker_id) = 0;
};

}  // namespace dcp
