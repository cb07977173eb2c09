#include "runtime/periodic.hpp"

#include <spdlog/spdlog.h>

#include <exception>
#include <utility>

namespace dcp::runtime {

Periodic::Periodic(std::string name, std::chrono::milliseconds interval,
                   std::function<void(Stopper&)> tick, std::function<void()> last)
    : name_(std::move(name)), interval_(interval), tick_(std::move(tick)), last_(std::move(last)) {}

Periodic::~Periodic() { Stop(); }

void Periodic::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void Periodic::Stop() {
  stopper_.Stop();
  if (thread_.joinable()) thread_.join();
}

void Periodic::Loop() {
  bool warned = false;
  do {
    try {
      tick_(stopper_);
      warned = false;
    } catch (const std::exception& e) {
      if (!warned) spdlog::warn("{}: {}", name_, e.what());
      warned = true;
    }
  } while (stopper_.WaitFor(interval_));
  if (!last_) return;
  try {
    last_();
  } catch (const std::exception& e) {
    spdlog::warn("{}: {}", name_, e.what());
  }
}

}  // namespace dcp::runtime
