#pragma once
// Where a run's completion is announced: an event on the broker and an
// optional webhook. Not thread-safe: one instance per thread.
#include <string>
#include <string_view>

namespace dcp {

class EventPublisher {
 public:
  virtual ~EventPublisher() = default;
  // Publishes one persistent JSON event with `routing_key` (e.g.
  // "run.completed") and returns once the broker has confirmed it. Throws
  // AmqpError / UnavailableError on failure.
  virtual void Publish(std::string_view routing_key, std::string_view json) = 0;
};

struct WebhookResponse {
  int status = 0;     // HTTP status; 0 when no response was received
  std::string error;  // why, when status is 0; else a hint or empty (a 3xx: not followed)
  bool ok() const { return status >= 200 && status < 300; }
};

class WebhookPoster {
 public:
  virtual ~WebhookPoster() = default;
  // One POST of `json` (application/json); never throws.
  virtual WebhookResponse Post(std::string_view json) = 0;
};

}  // namespace dcp
