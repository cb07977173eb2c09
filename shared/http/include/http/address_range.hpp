#pragma once
// A numeric IPv4 or IPv6 address, or a range of them in CIDR notation
// ("10.128.0.0/14", "fd00::/8"): the trusted proxies of ServerOptions (on
// OpenShift the router's pod network, whose addresses are not fixed).
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace dcp::http {

class AddressRange {
 public:
  // "address" (a range of one) or "address/prefix"; nullopt if malformed.
  static std::optional<AddressRange> Parse(std::string_view text);

  // Whether the numeric `address` is in the range (never across families).
  bool Contains(std::string_view address) const;

 private:
  int family_ = 0;  // AF_INET or AF_INET6
  std::array<std::uint8_t, 16> bytes_{};
  int prefix_ = 0;  // leading bits that must match
};

}  // namespace dcp::http
