#pragma once
// A webhook's URL, checked once when the configuration is read, so that a
// typo stops the process at start rather than failing every report.
#include <cstdint>
#include <string>
#include <string_view>

#include "domain/result.hpp"

namespace dcp::webhook {

struct WebhookUrl {
  std::string
      text;  // as libcurl normalises it (e.g. "http://h/?q" for "http://h?q"); what is POSTed to
  bool https = false;
  std::string host;        // name or address; an IPv6 literal keeps its brackets
  std::uint16_t port = 0;  // the URL's, else the scheme's (80, 443)
};

// "http://" or "https://", a host (name, IPv4, or IPv6 in brackets), an
// optional port, path and query. Refused: any other scheme, user info
// ("user:password@": a credential does not belong in a setting that is
// printed and passed around; the receiver can take a token in the path or
// query), a fragment, port 0, and what libcurl itself cannot parse (spaces,
// control characters, a bad IPv6 address). The reason is one line and never
// quotes the URL, whose path or query may hold a token.
Result<WebhookUrl> ParseWebhookUrl(std::string_view text);

}  // namespace dcp::webhook
