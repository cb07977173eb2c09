#include "http/address_range.hpp"

#include <gtest/gtest.h>

namespace dcp::http {
namespace {

TEST(AddressRange, AnAddressIsARangeOfOne) {
  const auto one = AddressRange::Parse("10.128.0.7");
  ASSERT_TRUE(one);
  EXPECT_TRUE(one->Contains("10.128.0.7"));
  EXPECT_FALSE(one->Contains("10.128.0.8"));
  EXPECT_FALSE(one->Contains("::ffff:10.128.0.7")) << "never across families";
}

TEST(AddressRange, CidrRangesMatchTheirPrefixBits) {
  const auto pods = AddressRange::Parse("10.128.0.0/14");
  ASSERT_TRUE(pods);
  EXPECT_TRUE(pods->Contains("10.128.0.1"));
  EXPECT_TRUE(pods->Contains("10.131.255.254"));
  EXPECT_FALSE(pods->Contains("10.132.0.1"));
  EXPECT_FALSE(pods->Contains("10.127.255.255"));
  const auto v6 = AddressRange::Parse("fd00::/8");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->Contains("fd12:3456::1"));
  EXPECT_FALSE(v6->Contains("fe80::1"));
  EXPECT_TRUE(AddressRange::Parse("0.0.0.0/0")->Contains("192.0.2.1"));
  EXPECT_FALSE(pods->Contains("not an address"));
}

TEST(AddressRange, RejectsWhatIsNoAddressOrPrefix) {
  for (const char* bad : {"", "router", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.0/1a",
                          "10.0.0.0/0008", "10.0.0/8"}) {
    EXPECT_FALSE(AddressRange::Parse(bad)) << bad;
  }
}

}  // namespace
}  // namespace dcp::http
