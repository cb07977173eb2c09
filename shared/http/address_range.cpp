#include "http/address_range.hpp"

#include <arpa/inet.h>

#include <string>

namespace dcp::http {
namespace {

// The address's family and bytes (4 or 16 of them), or family 0.
int ToBytes(std::string_view text, std::array<std::uint8_t, 16>& bytes) {
  const std::string s(text);
  if (::inet_pton(AF_INET, s.c_str(), bytes.data()) == 1) return AF_INET;
  if (::inet_pton(AF_INET6, s.c_str(), bytes.data()) == 1) return AF_INET6;
  return 0;
}

}  // namespace

std::optional<AddressRange> AddressRange::Parse(std::string_view text) {
  AddressRange range;
  const auto slash = text.find('/');
  range.family_ = ToBytes(text.substr(0, slash), range.bytes_);
  if (range.family_ == 0) return std::nullopt;
  const int bits = range.family_ == AF_INET ? 32 : 128;
  range.prefix_ = bits;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3) return std::nullopt;
    int prefix = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
      prefix = prefix * 10 + (c - '0');
    }
    if (prefix > bits) return std::nullopt;
    range.prefix_ = prefix;
  }
  return range;
}

bool AddressRange::Contains(std::string_view address) const {
  std::array<std::uint8_t, 16> bytes{};
  if (ToBytes(address, bytes) != family_) return false;
  const int whole = prefix_ / 8;
  for (int i = 0; i < whole; ++i) {
    if (bytes[static_cast<std::size_t>(i)] != bytes_[static_cast<std::size_t>(i)]) return false;
  }
  const int rest = prefix_ % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xFF << (8 - rest));
  const auto at = static_cast<std::size_t>(whole);
  return (bytes[at] & mask) == (bytes_[at] & mask);
}

}  // namespace dcp::http
