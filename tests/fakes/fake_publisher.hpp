#pragma once
#include <string>
#include <vector>

#include "ports/errors.hpp"
#include "ports/task_publisher.hpp"

namespace dcp::fakes {

// Records what was published; can be told to fail after N confirmed messages
// (a broker lost mid-publish).
class FakePublisher final : public TaskPublisher {
 public:
  void PublishConfirmed(std::span<const std::string> bodies) override {
    for (const auto& b : bodies) {
      if (fail_after >= 0 && static_cast<long>(confirmed.size()) >= fail_after) {
        throw AmqpError("fake: connection lost");
      }
      confirmed.push_back(b);
    }
  }
  std::vector<std::string> confirmed;
  long fail_after = -1;
};

}  // namespace dcp::fakes
