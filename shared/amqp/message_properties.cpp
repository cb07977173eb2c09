#include "message_properties.hpp"

#include <optional>
#include <string_view>

namespace dcp::amqp {

MessageProperties::MessageProperties() {
  properties_._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG;
  properties_.content_type = amqp_cstring_bytes("application/json");
  properties_.delivery_mode = AMQP_DELIVERY_PERSISTENT;
}

amqp_bytes_t MessageProperties::Keep(std::string text) {
  const std::string& kept = storage_.emplace_back(std::move(text));
  amqp_bytes_t bytes;
  bytes.len = kept.size();
  bytes.bytes = const_cast<char*>(kept.data());  // rabbitmq-c only reads it
  return bytes;
}

void MessageProperties::SetExpiration(std::chrono::milliseconds ttl) {
  properties_._flags |= AMQP_BASIC_EXPIRATION_FLAG;
  properties_.expiration = Keep(std::to_string(ttl.count()));
}

void MessageProperties::SetTimestamp(std::int64_t unix_seconds) {
  properties_._flags |= AMQP_BASIC_TIMESTAMP_FLAG;
  properties_.timestamp = static_cast<std::uint64_t>(unix_seconds);
}

void MessageProperties::AddString(std::string name, std::string value) {
  amqp_table_entry_t entry{};
  entry.key = Keep(std::move(name));
  entry.value.kind = AMQP_FIELD_KIND_UTF8;
  entry.value.value.bytes = Keep(std::move(value));
  headers_.push_back(entry);
}

void MessageProperties::AddInt(std::string name, std::int64_t value) {
  amqp_table_entry_t entry{};
  entry.key = Keep(std::move(name));
  entry.value.kind = AMQP_FIELD_KIND_I64;
  entry.value.value.i64 = value;
  headers_.push_back(entry);
}

const amqp_basic_properties_t* MessageProperties::get() {
  if (!headers_.empty()) {
    properties_._flags |= AMQP_BASIC_HEADERS_FLAG;
    properties_.headers.num_entries = static_cast<int>(headers_.size());
    properties_.headers.entries = headers_.data();
  }
  return &properties_;
}

namespace {

std::string_view Text(amqp_bytes_t bytes) {
  return {static_cast<const char*>(bytes.bytes), bytes.len};
}

std::optional<std::int64_t> AsInt(const amqp_field_value_t& value) {
  switch (value.kind) {
    case AMQP_FIELD_KIND_I8:
      return value.value.i8;
    case AMQP_FIELD_KIND_U8:
      return value.value.u8;
    case AMQP_FIELD_KIND_I16:
      return value.value.i16;
    case AMQP_FIELD_KIND_U16:
      return value.value.u16;
    case AMQP_FIELD_KIND_I32:
      return value.value.i32;
    case AMQP_FIELD_KIND_U32:
      return value.value.u32;
    case AMQP_FIELD_KIND_I64:
      return value.value.i64;
    case AMQP_FIELD_KIND_U64:
      return static_cast<std::int64_t>(value.value.u64);
    default:
      return std::nullopt;
  }
}

}  // namespace

Headers ReadHeaders(const amqp_basic_properties_t& properties) {
  Headers headers;
  if ((properties._flags & AMQP_BASIC_HEADERS_FLAG) == 0) return headers;
  for (int i = 0; i < properties.headers.num_entries; ++i) {
    const amqp_table_entry_t& entry = properties.headers.entries[i];
    if (entry.value.kind == AMQP_FIELD_KIND_UTF8 || entry.value.kind == AMQP_FIELD_KIND_BYTES) {
      headers.push_back({std::string(Text(entry.key)), std::string(Text(entry.value.value.bytes))});
    } else if (const auto number = AsInt(entry.value)) {
      headers.push_back({std::string(Text(entry.key)), std::to_string(*number)});
    }
  }
  return headers;
}

std::optional<std::int64_t> DeadLetteredAt(const amqp_basic_properties_t& properties) {
  if ((properties._flags & AMQP_BASIC_TIMESTAMP_FLAG) != 0) {
    return static_cast<std::int64_t>(properties.timestamp);
  }
  if ((properties._flags & AMQP_BASIC_HEADERS_FLAG) == 0) return std::nullopt;
  for (int i = 0; i < properties.headers.num_entries; ++i) {
    const amqp_table_entry_t& entry = properties.headers.entries[i];
    if (Text(entry.key) != "x-death" || entry.value.kind != AMQP_FIELD_KIND_ARRAY) continue;
    const amqp_array_t& deaths = entry.value.value.array;
    if (deaths.num_entries == 0 || deaths.entries[0].kind != AMQP_FIELD_KIND_TABLE) break;
    const amqp_table_t& death = deaths.entries[0].value.table;
    for (int j = 0; j < death.num_entries; ++j) {
      if (Text(death.entries[j].key) == "time" &&
          death.entries[j].value.kind == AMQP_FIELD_KIND_TIMESTAMP) {
        return static_cast<std::int64_t>(death.entries[j].value.value.u64);
      }
    }
    break;
  }
  return std::nullopt;
}

std::int64_t IntHeader(const amqp_basic_properties_t& properties, std::string_view name) {
  if ((properties._flags & AMQP_BASIC_HEADERS_FLAG) == 0) return 0;
  for (int i = 0; i < properties.headers.num_entries; ++i) {
    const amqp_table_entry_t& entry = properties.headers.entries[i];
    if (Text(entry.key) == name) return AsInt(entry.value).value_or(0);
  }
  return 0;
}

}  // namespace dcp::amqp
