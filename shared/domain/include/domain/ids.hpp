#pragma once
// Strong identifiers. RunId and TaskId are both UUIDs but cannot be swapped.
#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dcp {

class Uuid {
 public:
  // Accepts the canonical 8-4-4-4-12 hex form, either case. Nothing else.
  static std::optional<Uuid> Parse(std::string_view text);
  // From its 16 bytes, in order (a BINARY(16) column); nothing else.
  static std::optional<Uuid> FromBytes(std::string_view bytes);
  // A random (version 4) UUID. Thread-safe.
  static Uuid Random();
  // A time-ordered (version 7, RFC 9562) UUID: the Unix time in
  // milliseconds in its first 48 bits, a counter within the millisecond in
  // the next 12, then random ones. Each id a process makes sorts after the
  // ones it made before, so the database's indexes of them grow at their end
  // (pages filled, the recent ones cached) instead of everywhere. Thread-safe.
  static Uuid TimeOrdered();
  // Lowercase canonical form.
  std::string ToString() const;
  auto operator<=>(const Uuid&) const = default;

 private:
  std::array<std::uint8_t, 16> bytes_{};
};

template <class Tag>
class Id {
 public:
  static std::optional<Id> Parse(std::string_view text) {
    auto uuid = Uuid::Parse(text);
    if (!uuid) return std::nullopt;
    return Id(*uuid);
  }
  static Id New() { return Id(Uuid::TimeOrdered()); }
  // The nil UUID: a placeholder in default-constructed records only.
  Id() = default;
  std::string ToString() const { return uuid_.ToString(); }
  auto operator<=>(const Id&) const = default;

 private:
  explicit Id(Uuid uuid) : uuid_(uuid) {}
  Uuid uuid_;
};

using RunId = Id<struct RunIdTag>;
using TaskId = Id<struct TaskIdTag>;

}  // namespace dcp
