#pragma once
// WebhookPoster over plain HTTP/1.1 (http:// only: put a TLS-terminating
// proxy in front for https). One connection per POST, `Connection: close`;
// only the status line of the answer is read.
#include <chrono>
#include <cstdint>
#include <string>

#include "domain/result.hpp"
#include "ports/notifications.hpp"

namespace dcp::http {

struct HttpUrl {
  std::string host;  // name or numeric address (IPv6 in brackets in the URL)
  std::uint16_t port = 80;
  std::string target = "/";  // path and query, as given
};

// "http://host[:port][/path[?query]]"; no user info, no fragment.
Result<HttpUrl> ParseHttpUrl(std::string_view text);

class HttpWebhook final : public WebhookPoster {
 public:
  // `timeout` bounds each of connect, send and the wait for the answer.
  explicit HttpWebhook(HttpUrl url, std::chrono::milliseconds timeout = std::chrono::seconds(10))
      : url_(std::move(url)), timeout_(timeout) {}

  WebhookResponse Post(std::string_view json) override;

 private:
  HttpUrl url_;
  std::chrono::milliseconds timeout_;
};

}  // namespace dcp::http
