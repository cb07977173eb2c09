#include "worker/heartbeat.hpp"

#include <spdlog/spdlog.h>

namespace dcp::worker {

Heartbeat::Heartbeat(RegistryFactory make_registry, Snapshot snapshot,
                     std::chrono::milliseconds interval)
    : make_registry_(std::move(make_registry)),
      snapshot_(std::move(snapshot)),
      interval_(interval) {}

Heartbeat::~Heartbeat() { Stop(); }

void Heartbeat::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void Heartbeat::Stop() {
  stopper_.Stop();
  if (thread_.joinable()) thread_.join();
}

void Heartbeat::Loop() {
  std::shared_ptr<WorkerRegistry> registry;
  bool warned = false;
  do {
    try {
      if (!registry) registry = make_registry_();
      registry->Beat(snapshot_());
      warned = false;
    } catch (const std::exception& e) {
      if (!warned) spdlog::warn("heartbeat not recorded: {}", e.what());
      warned = true;
    }
  } while (stopper_.WaitFor(interval_));
  try {
    if (registry) registry->Leave(snapshot_().worker_id);
  } catch (const std::exception& e) {
    spdlog::warn("could not record that this worker left: {}", e.what());
  }
}

}  // namespace dcp::worker
