#include "worker/heartbeat.hpp"

#include <spdlog/spdlog.h>

#include <exception>

namespace dcp::worker {

Heartbeat::Heartbeat(RegistryFactory make_registry, Snapshot snapshot,
                     std::chrono::milliseconds interval)
    : make_registry_(std::move(make_registry)),
      snapshot_(std::move(snapshot)),
      periodic_(
          "heartbeat not recorded", interval,
          [this](runtime::Stopper&) {
            if (!registry_) registry_ = make_registry_();
            registry_->Beat(snapshot_());
          },
          [this] {
            try {
              if (registry_) registry_->Leave(snapshot_().worker_id);
            } catch (const std::exception& e) {
              spdlog::warn("could not record that this worker left: {}", e.what());
            }
          }) {}

}  // namespace dcp::worker
