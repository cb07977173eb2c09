#include "webhook/webhook_url.hpp"

#include <gtest/gtest.h>

namespace dcp::webhook {
namespace {

TEST(WebhookUrl, AcceptsHttpAndHttpsWithHostPortAndTarget) {
  struct Case {
    const char* text;
    const char* normalised;
    bool https;
    const char* host;
    std::uint16_t port;
  };
  const Case cases[] = {
      {"http://example.org", "http://example.org/", false, "example.org", 80},
      {"https://example.org", "https://example.org/", true, "example.org", 443},
      {"https://hooks.example.org:8443/a/b?token=x&y=2",
       "https://hooks.example.org:8443/a/b?token=x&y=2", true, "hooks.example.org", 8443},
      {"http://127.0.0.1:8081/hook", "http://127.0.0.1:8081/hook", false, "127.0.0.1", 8081},
      {"https://[::1]:8443/x", "https://[::1]:8443/x", true, "[::1]", 8443},
      {"HTTPS://example.org/x", "https://example.org/x", true, "example.org", 443},
      {"http://h?x=1", "http://h/?x=1", false, "h", 80},
  };
  for (const auto& c : cases) {
    const auto url = ParseWebhookUrl(c.text);
    ASSERT_TRUE(url) << c.text << ": " << url.reason();
    EXPECT_EQ(url->text, c.normalised) << c.text;
    EXPECT_EQ(url->https, c.https) << c.text;
    EXPECT_EQ(url->host, c.host) << c.text;
    EXPECT_EQ(url->port, c.port) << c.text;
  }
}

TEST(WebhookUrl, RefusesWhatItWillNotPostToWithAReason) {
  struct Case {
    const char* text;
    const char* reason;  // a part of it
  };
  const Case cases[] = {
      {"ftp://example.org/", "must start with http:// or https://"},
      {"file:///etc/passwd", "must start with http:// or https://"},
      {"example.org/hook", "must start with http:// or https://"},
      {" http://example.org/", "must start with http:// or https://"},
      {"", "must start with http:// or https://"},
      {"http://", "no host"},
      {"http://:80/", "no host"},
      {"http:///hook", "no host"},
      {"http://h:0/", "port"},
      {"http://h:99999/", "port"},
      {"http://h:8a/", "port"},
      {"http://user:password@h/", "user info"},
      {"https://user@h/", "user info"},
      {"https://:password@h/", "user info"},
      {"http://h/#part", "fragment"},
      {"http://[::1/", "not a valid URL"},
      {"http://h/a b", "not a valid URL"},
      {"http://h/x\n", "not a valid URL"},
      {"http://exa mple.org/", "not a valid URL"},
  };
  for (const auto& c : cases) {
    const auto url = ParseWebhookUrl(c.text);
    ASSERT_FALSE(url) << c.text;
    EXPECT_NE(url.reason().find(c.reason), std::string::npos) << c.text << ": " << url.reason();
    EXPECT_EQ(url.reason().find('\n'), std::string::npos) << c.text << ": " << url.reason();
  }
}

TEST(WebhookUrl, ReasonNeverQuotesTheUrl) {
  // The path, query or user info of a webhook URL often is its credential.
  for (const char* text :
       {"https://user:s3cret@h/", "ftp://h/s3cret", "https://h:1s3cret/", "https://h/s3cret#s3cret",
        "https://h/s3cret s3cret", "https://s3cret s3cret/", "https://[s3cret/"}) {
    const auto url = ParseWebhookUrl(text);
    ASSERT_FALSE(url) << text;
    EXPECT_EQ(url.reason().find("s3cret"), std::string::npos) << text << ": " << url.reason();
  }
}

}  // namespace
}  // namespace dcp::webhook
