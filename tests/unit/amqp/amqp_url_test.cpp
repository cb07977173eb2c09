#include "amqp/amqp_url.hpp"

#include <gtest/gtest.h>

namespace dcp::amqp {
namespace {

TEST(AmqpUrl, ParsesEveryPart) {
  const auto url = AmqpUrl::Parse("amqp://dcp:dcp-dev@127.0.0.1:17700/dcp");
  ASSERT_TRUE(url.ok()) << url.reason();
  EXPECT_EQ(url->user, "dcp");
  EXPECT_EQ(url->password, "dcp-dev");
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, 17700);
  EXPECT_EQ(url->vhost, "dcp");
}

TEST(AmqpUrl, DefaultsPortAndVhost) {
  for (const char* text : {"amqp://u:p@rabbit", "amqp://u:p@rabbit/"}) {
    const auto url = AmqpUrl::Parse(text);
    ASSERT_TRUE(url.ok()) << text << ": " << url.reason();
    EXPECT_EQ(url->port, 5672) << text;
    EXPECT_EQ(url->vhost, "/") << text;
  }
}

TEST(AmqpUrl, AmqpsMeansTlsOnPort5671ByDefault) {
  const auto plain = AmqpUrl::Parse("amqp://u:p@rabbit/v");
  ASSERT_TRUE(plain.ok()) << plain.reason();
  EXPECT_FALSE(plain->tls);
  const auto tls = AmqpUrl::Parse("amqps://u:p@rabbit/v");
  ASSERT_TRUE(tls.ok()) << tls.reason();
  EXPECT_TRUE(tls->tls);
  EXPECT_EQ(tls->port, 5671);
  EXPECT_EQ(tls->Redacted(), "amqps://u:***@rabbit:5671/v");
  const auto port = AmqpUrl::Parse("amqps://u:p@rabbit:17751/v");
  ASSERT_TRUE(port.ok()) << port.reason();
  EXPECT_EQ(port->port, 17751);
  EXPECT_TRUE(port->ca_file.empty()) << "the CA file is a setting of its own";
}

TEST(AmqpUrl, PercentDecodesUserPasswordAndVhost) {
  const auto url = AmqpUrl::Parse("amqp://us%40er:p%3Aa%2Fss@h:1/%2Fprod%20a");
  ASSERT_TRUE(url.ok()) << url.reason();
  EXPECT_EQ(url->user, "us@er");
  EXPECT_EQ(url->password, "p:a/ss");
  EXPECT_EQ(url->vhost, "/prod a");
}

TEST(AmqpUrl, DefaultsCredentialsToGuest) {
  const auto url = AmqpUrl::Parse("amqp://localhost");
  ASSERT_TRUE(url.ok()) << url.reason();
  EXPECT_EQ(url->user, "guest");
  EXPECT_EQ(url->password, "guest");
}

TEST(AmqpUrl, AcceptsIpv6Literal) {
  const auto url = AmqpUrl::Parse("amqp://u:p@[::1]:5673/v");
  ASSERT_TRUE(url.ok()) << url.reason();
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 5673);
  EXPECT_EQ(url->Endpoint(), "[::1]:5673");
}

TEST(AmqpUrl, RejectsWhatItCannotUse) {
  struct Case {
    const char* text;
    const char* reason_part;
  };
  const Case cases[] = {
      {"http://u:p@h/v", "amqp://"},   {"amqp://u:p@h:abc/v", "port"},
      {"amqp://u:p@h:0/v", "port"},    {"amqp://u:p@h:70000/v", "port"},
      {"amqp://u:p@h:/v", "port"},     {"amqp://u:p@/v", "host"},
      {"amqp://u:p@h/a/b", "%2F"},     {"amqp://u:p@h/v?heartbeat=5", "query"},
      {"amqp://u:p@h/%zz", "percent"}, {"amqp://u:p%4@h/v", "percent"},
  };
  for (const Case& c : cases) {
    const auto url = AmqpUrl::Parse(c.text);
    ASSERT_FALSE(url.ok()) << c.text;
    EXPECT_NE(url.reason().find(c.reason_part), std::string::npos)
        << c.text << ": " << url.reason();
  }
}

TEST(AmqpUrl, ReasonNeverContainsThePassword) {
  for (const char* text : {"amqp://u:s3cret@h:99999/v", "amqp://u:s3cret@h/a/b",
                           "amqp://u:s3cret@/v", "amqp://u:s3cret@h/v?x=1"}) {
    const auto url = AmqpUrl::Parse(text);
    ASSERT_FALSE(url.ok()) << text;
    EXPECT_EQ(url.reason().find("s3cret"), std::string::npos) << url.reason();
  }
}

TEST(AmqpUrl, RedactsThePassword) {
  const auto url = AmqpUrl::Parse("amqp://dcp:dcp-dev@127.0.0.1:17700/dcp");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->Redacted(), "amqp://dcp:***@127.0.0.1:17700/dcp");
}

TEST(AmqpUrl, RedactedRoundTripsEncodedParts) {
  const auto url = AmqpUrl::Parse("amqp://a%40b:pw@h/%2Fprod");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->Redacted(), "amqp://a%40b:***@h:5672/%2Fprod");
  const auto root = AmqpUrl::Parse("amqp://a:pw@h");
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->Redacted(), "amqp://a:***@h:5672/");
}

TEST(AmqpUrl, ANodeListParsesEachNodeAndNamesABadOneByPosition) {
  const auto nodes = ParseNodes("amqp://u:p@a:1/v,amqp://u:p@b:2/v");
  ASSERT_TRUE(nodes.ok()) << nodes.reason();
  ASSERT_EQ(nodes->size(), 2U);
  EXPECT_EQ((*nodes)[1].Endpoint(), "b:2");
  const auto bad = ParseNodes("amqp://u:s3cret@a:1/v,amqp://u:s3cret@b:0/v");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.reason().rfind("node 2 of 2: ", 0), 0U) << bad.reason();
  EXPECT_EQ(bad.reason().find("s3cret"), std::string::npos) << bad.reason();
}

}  // namespace
}  // namespace dcp::amqp
