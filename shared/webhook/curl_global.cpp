#include "curl_global.hpp"

#include <curl/curl.h>

#include <stdexcept>
#include <string>

namespace dcp::webhook {

void EnsureCurlGlobal() {
  // Not thread-safe in libcurl itself (before 7.84, and not on every build
  // since): the static's initialisation is, and runs once.
  static const CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (rc != CURLE_OK) {
    throw std::runtime_error(std::string("libcurl does not initialise: ") + curl_easy_strerror(rc));
  }
}

}  // namespace dcp::webhook
