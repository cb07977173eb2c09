#include "webhook/webhook_url.hpp"

#include <curl/curl.h>

#include <cstdlib>
#include <memory>

#include "curl_global.hpp"

namespace dcp::webhook {
namespace {

using Url = std::unique_ptr<CURLU, decltype(&curl_url_cleanup)>;
using Part = std::unique_ptr<char, decltype(&curl_free)>;

// The part, or null when the URL has none.
Part Get(CURLU* url, CURLUPart which, unsigned flags = 0) {
  char* value = nullptr;
  if (curl_url_get(url, which, &value, flags) != CURLUE_OK) value = nullptr;
  return {value, &curl_free};
}

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    const char c =
        text[i] >= 'A' && text[i] <= 'Z' ? static_cast<char>(text[i] - 'A' + 'a') : text[i];
    if (c != prefix[i]) return false;
  }
  return true;
}

}  // namespace

Result<WebhookUrl> ParseWebhookUrl(std::string_view text) {
  WebhookUrl url;
  std::size_t authority = 0;
  if (StartsWithNoCase(text, "https://")) {
    url.https = true;
    authority = 8;
  } else if (StartsWithNoCase(text, "http://")) {
    authority = 7;
  } else {
    return Error{"the URL must start with http:// or https://"};
  }
  // libcurl would take "http:///h" as "http://h/": a typo, not a host.
  if (authority == text.size() || text[authority] == '/') return Error{"the URL has no host"};

  EnsureCurlGlobal();
  const Url parsed(curl_url(), &curl_url_cleanup);
  if (!parsed) return Error{"out of memory"};
  // CURLU copies the string, which must be NUL-terminated.
  switch (const CURLUcode rc =
              curl_url_set(parsed.get(), CURLUPART_URL, std::string(text).c_str(), 0)) {
    case CURLUE_OK:
      break;
    case CURLUE_NO_HOST:
      return Error{"the URL has no host"};
    case CURLUE_BAD_PORT_NUMBER:
      return Error{"the URL's port is not a number from 1 to 65535"};
    default:
      return Error{std::string("not a valid URL (") + curl_url_strerror(rc) + ")"};
  }
  if (Get(parsed.get(), CURLUPART_USER) || Get(parsed.get(), CURLUPART_PASSWORD)) {
    return Error{"user info (user:password@) is not allowed in the URL"};
  }
  if (Get(parsed.get(), CURLUPART_FRAGMENT))
    return Error{"a fragment (#...) is not allowed in the URL"};
  const Part port = Get(parsed.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  const unsigned long number = port ? std::strtoul(port.get(), nullptr, 10) : 0;
  if (number == 0 || number > 65535) return Error{"the URL's port is not a number from 1 to 65535"};
  url.port = static_cast<std::uint16_t>(number);
  const Part host = Get(parsed.get(), CURLUPART_HOST);
  const Part normalised = Get(parsed.get(), CURLUPART_URL);
  if (!host || !normalised) return Error{"the URL has no host"};
  url.host = host.get();
  url.text = normalised.get();
  return url;
}

}  // namespace dcp::webhook
