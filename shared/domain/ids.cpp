#include "domain/ids.hpp"

#include <chrono>
#include <cstddef>
#include <mutex>
#include <random>

namespace dcp {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

// Dash positions of the canonical 8-4-4-4-12 form.
constexpr bool IsDashPosition(std::size_t i) { return i == 8 || i == 13 || i == 18 || i == 23; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::mt19937_64& ThreadRng() {
  thread_local std::mt19937_64 rng = [] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device(),
                       device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }();
  return rng;
}

}  // namespace

std::optional<Uuid> Uuid::Parse(std::string_view text) {
  if (text.size() != 36) return std::nullopt;
  Uuid uuid;
  std::size_t byte = 0;
  for (std::size_t i = 0; i < text.size();) {
    if (IsDashPosition(i)) {
      if (text[i] != '-') return std::nullopt;
      ++i;
      continue;
    }
    const int high = HexValue(text[i]);
    const int low = HexValue(text[i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    uuid.bytes_[byte++] = static_cast<std::uint8_t>(high * 16 + low);
    i += 2;
  }
  return uuid;
}

std::optional<Uuid> Uuid::FromBytes(std::string_view bytes) {
  Uuid uuid;
  if (bytes.size() != uuid.bytes_.size()) return std::nullopt;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    uuid.bytes_[i] = static_cast<std::uint8_t>(bytes[i]);
  }
  return uuid;
}

Uuid Uuid::Random() {
  auto& rng = ThreadRng();
  Uuid uuid;
  for (std::size_t i = 0; i < uuid.bytes_.size(); i += 8) {
    std::uint64_t bits = rng();
    for (std::size_t j = 0; j < 8; ++j) {
      uuid.bytes_[i + j] = static_cast<std::uint8_t>(bits & 0xffU);
      bits >>= 8;
    }
  }
  uuid.bytes_[6] = static_cast<std::uint8_t>((uuid.bytes_[6] & 0x0fU) | 0x40U);  // version 4
  uuid.bytes_[8] = static_cast<std::uint8_t>((uuid.bytes_[8] & 0x3fU) | 0x80U);  // RFC 4122
  return uuid;
}

Uuid Uuid::TimeOrdered() {
  // RFC 9562 6.2, method 1: within one millisecond the 12 bits after the
  // version (rand_a) count up, so the ids of a process increase in the order
  // they are made, many in one millisecond too (a leader makes thousands):
  // an index of them is appended to in order and its pages stay full. A
  // counter that runs out, or a clock that steps back, goes on from the
  // last millisecond used: the ids stay increasing and the time close.
  constexpr std::uint16_t kMaxCounter = 0xfff;
  static std::mutex mutex;
  static std::uint64_t last_ms = 0;
  static std::uint16_t counter = 0;
  const auto now =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  std::uint64_t ms = 0;
  std::uint16_t count = 0;
  {
    const std::lock_guard lock(mutex);
    if (now > last_ms) {
      last_ms = now;
      counter = 0;
    } else if (counter == kMaxCounter) {
      ++last_ms;
      counter = 0;
    } else {
      ++counter;
    }
    ms = last_ms;
    count = counter;
  }
  Uuid uuid = Random();
  for (std::size_t i = 0; i < 6; ++i) {
    uuid.bytes_[i] = static_cast<std::uint8_t>((ms >> (40 - 8 * i)) & 0xffU);
  }
  uuid.bytes_[6] = static_cast<std::uint8_t>(0x70U | (count >> 8));  // version 7
  uuid.bytes_[7] = static_cast<std::uint8_t>(count & 0xffU);
  return uuid;
}

std::string Uuid::ToString() const {
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < bytes_.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHexDigits[bytes_[i] >> 4]);
    out.push_back(kHexDigits[bytes_[i] & 0x0fU]);
  }
  return out;
}

}  // namespace dcp
