#pragma once
// The monitor's page (monitor/web/), compiled in at build time.
#include <string_view>

namespace dcp::monitor {

struct WebAsset {
  std::string_view path;          // "/", "/app.js", "/style.css"
  std::string_view content_type;  // with charset
  std::string_view body;
};

// Every asset of the page.
const WebAsset* WebAssets(std::size_t* count);

}  // namespace dcp::monitor
