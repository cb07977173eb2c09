#pragma once
// WebhookPoster on libcurl: one POST per call, on a connection of its own,
// http:// or https://.
//
// What it always does, whatever the options: verifies the receiver's
// certificate and that it names the URL's host; follows no redirect (a 3xx is
// the answer, and it is not a delivery); uses no proxy (the environment's
// http_proxy / https_proxy / all_proxy are ignored); installs no signal
// handler and raises no signal (the worker is multi-threaded). The response
// body is read and dropped.
//
// Not thread-safe: one instance per thread (ports/notifications.hpp);
// instances on different threads are independent.
#include <chrono>
#include <string>

#include "ports/notifications.hpp"
#include "webhook/webhook_url.hpp"

namespace dcp::webhook {

struct WebhookOptions {
  // PEM file of the CAs that may sign the receiver's certificate (a private
  // CA). It replaces the system store rather than adding to it, so only
  // that CA is trusted. Empty: the system store (Debian's ca-certificates,
  // /etc/ssl/certs).
  std::string ca_file;
  // The whole POST: resolving, connecting, the TLS handshake, sending and
  // the answer. Bounds how long one attempt holds the completion thread.
  std::chrono::milliseconds timeout = std::chrono::seconds(10);
  // Of that, resolving and connecting up to the end of the TLS handshake
  // (never more than `timeout`).
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(10);
};

class CurlWebhook final : public WebhookPoster {
 public:
  // Throws std::runtime_error if libcurl cannot initialise.
  explicit CurlWebhook(WebhookUrl url, WebhookOptions options = {});

  // {status, ""} for any HTTP answer (ok() for 2xx; a 3xx also says that
  // redirects are not followed); {0, why} when there was none: refused,
  // timed out, the certificate not trusted... The reason is one line that
  // may name the host and port, never the URL's path or query.
  WebhookResponse Post(std::string_view json) override;

 private:
  WebhookUrl url_;
  WebhookOptions options_;
};

}  // namespace dcp::webhook
