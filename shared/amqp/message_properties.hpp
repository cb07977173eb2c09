#pragma once
// Internal: basic.properties of the messages dcp publishes (persistent JSON),
// and reading the headers of the ones it receives.
#include <amqp.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "amqp/message.hpp"

namespace dcp::amqp {

// Owns every byte the returned amqp_basic_properties_t points to.
class MessageProperties {
 public:
  // delivery_mode 2 (persistent), content_type application/json.
  MessageProperties();
  MessageProperties(const MessageProperties&) = delete;
  MessageProperties& operator=(const MessageProperties&) = delete;

  void AddString(std::string name, std::string value);
  void AddInt(std::string name, std::int64_t value);
  // Per-message TTL: the broker dead-letters the message when it expires.
  void SetExpiration(std::chrono::milliseconds ttl);
  // basic.properties timestamp (Unix seconds): when a dead letter was made.
  void SetTimestamp(std::int64_t unix_seconds);

  // Valid until *this is modified or destroyed.
  const amqp_basic_properties_t* get();

 private:
  amqp_bytes_t Keep(std::string text);

  std::deque<std::string> storage_;  // deque: growing it never moves the strings
  std::vector<amqp_table_entry_t> headers_;
  amqp_basic_properties_t properties_{};
};

// String headers as text, integer headers in decimal; others are skipped.
Headers ReadHeaders(const amqp_basic_properties_t& properties);

// The timestamp property, else the `time` of the first (latest) x-death
// entry: Delivery::dead_lettered_at.
std::optional<std::int64_t> DeadLetteredAt(const amqp_basic_properties_t& properties);

// The integer header `name` of received properties, or 0 when absent.
std::int64_t IntHeader(const amqp_basic_properties_t& properties, std::string_view name);

}  // namespace dcp::amqp
