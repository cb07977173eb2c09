#include "http/http_webhook.hpp"

#include <gtest/gtest.h>

namespace dcp::http {
namespace {

TEST(HttpUrl, ParsesHostPortAndTarget) {
  struct Case {
    const char* text;
    const char* host;
    std::uint16_t port;
    const char* target;
  };
  const Case cases[] = {
      {"http://example.org", "example.org", 80, "/"},
      {"http://127.0.0.1:8081/hook", "127.0.0.1", 8081, "/hook"},
      {"http://h:9/a/b?x=1&y=2", "h", 9, "/a/b?x=1&y=2"},
      {"http://h?x=1", "h", 80, "/?x=1"},
      {"http://[::1]:8080/x", "::1", 8080, "/x"},
  };
  for (const auto& c : cases) {
    const auto url = ParseHttpUrl(c.text);
    ASSERT_TRUE(url) << c.text << ": " << url.reason();
    EXPECT_EQ(url->host, c.host) << c.text;
    EXPECT_EQ(url->port, c.port) << c.text;
    EXPECT_EQ(url->target, c.target) << c.text;
  }
}

TEST(HttpUrl, RejectsWhatItCannotPost) {
  for (const char* text :
       {"https://example.org/", "ftp://x", "http://", "http://:80/", "http://h:0/",
        "http://h:99999/", "http://h:8a/", "http://u:p@h/", "http://[::1/", "http://h/a b"}) {
    EXPECT_FALSE(ParseHttpUrl(text)) << text;
  }
}

TEST(HttpWebhook, ConnectionRefusedIsAnErrorNotAThrow) {
  // Port 1 on loopback: nothing listens there in a test environment.
  HttpWebhook webhook(*ParseHttpUrl("http://127.0.0.1:1/"), std::chrono::milliseconds(2000));
  const auto response = webhook.Post("{}");
  EXPECT_EQ(response.status, 0);
  EXPECT_FALSE(response.ok());
  EXPECT_FALSE(response.error.empty());
}

}  // namespace
}  // namespace dcp::http
