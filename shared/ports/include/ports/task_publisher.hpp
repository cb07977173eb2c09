#pragma once
#include <span>
#include <string>

namespace dcp {

// Publishes task messages (persistent, to the task queue) with publisher
// confirms. Not thread-safe.
class TaskPublisher {
 public:
  virtual ~TaskPublisher() = default;
  // Returns once the broker has confirmed every body. Throws AmqpError on a
  // nack or a lost connection; then none of `bodies` counts as confirmed
  // (some may still be delivered: consumers are idempotent).
  virtual void PublishConfirmed(std::span<const std::string> bodies) = 0;
};

}  // namespace dcp
