#include "webhook/curl_webhook.hpp"

#include <curl/curl.h>

#include <memory>

#include "curl_global.hpp"

namespace dcp::webhook {
namespace {

using Easy = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;
using Headers = std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)>;

std::size_t Discard(char* /*data*/, std::size_t size, std::size_t count, void* /*user*/) {
  return size * count;
}

// Appends to `list`; on failure frees it and returns null.
curl_slist* Append(curl_slist* list, const char* header) {
  curl_slist* longer = curl_slist_append(list, header);
  if (longer == nullptr) curl_slist_free_all(list);
  return longer;
}

}  // namespace

CurlWebhook::CurlWebhook(WebhookUrl url, WebhookOptions options)
    : url_(std::move(url)), options_(std::move(options)) {
  EnsureCurlGlobal();
}

WebhookResponse CurlWebhook::Post(std::string_view json) {
  const Easy easy(curl_easy_init(), &curl_easy_cleanup);
  curl_slist* list = Append(nullptr, "Content-Type: application/json");
  list = list != nullptr ? Append(list, "Expect:") : nullptr;  // no 100-continue round trip
  const Headers headers(list, &curl_slist_free_all);
  if (!easy || !headers) return {0, "libcurl: out of memory"};
  CURL* h = easy.get();
  char error[CURL_ERROR_SIZE] = {};
  CURLcode rc = CURLE_OK;
  // Each setopt can fail only on a libcurl built without the feature or out
  // of memory: the first failure is the answer.
  const auto set = [&](CURLoption option, auto value) {
    if (rc == CURLE_OK) rc = curl_easy_setopt(h, option, value);
  };
  set(CURLOPT_ERRORBUFFER, error);
  set(CURLOPT_URL, url_.text.c_str());
  set(CURLOPT_PROTOCOLS_STR, "http,https");
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_PROXY, "");  // "": no proxy, whatever the environment says
  set(CURLOPT_FOLLOWLOCATION, 0L);
  set(CURLOPT_SSL_VERIFYPEER, 1L);
  set(CURLOPT_SSL_VERIFYHOST, 2L);
  set(CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  if (!options_.ca_file.empty()) {
    set(CURLOPT_CAINFO, options_.ca_file.c_str());
    set(CURLOPT_CAPATH, static_cast<const char*>(nullptr));  // only that file, not /etc/ssl/certs
  }
  set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
  set(CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  set(CURLOPT_USERAGENT, "dcp");
  set(CURLOPT_HTTPHEADER, headers.get());
  set(CURLOPT_POST, 1L);
  set(CURLOPT_POSTFIELDS, json.empty() ? "" : json.data());  // null would read stdin
  set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(json.size()));
  set(CURLOPT_WRITEFUNCTION, &Discard);
  if (rc == CURLE_OK) rc = curl_easy_perform(h);
  if (rc != CURLE_OK) return {0, error[0] != '\0' ? error : curl_easy_strerror(rc)};
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  if (status < 100 || status > 599) return {0, "not an HTTP answer"};
  if (status >= 300 && status < 400)
    return {static_cast<int>(status), "redirects are not followed"};
  return {static_cast<int>(status), {}};
}

}  // namespace dcp::webhook
