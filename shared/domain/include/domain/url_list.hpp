#pragma once
// A cluster's address: comma-separated URLs, one per node, as in
// DCP_AMQP_URL=amqp://u:p@node1/dcp,amqp://u:p@node2/dcp.
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "domain/result.hpp"

namespace dcp {

// The entries of `text`. A comma starts a new entry only where what follows
// it begins with one of `schemes`, so a comma inside a password (written
// raw, as one URL allowed it) stays part of that URL. Spaces around entries
// are dropped.
std::vector<std::string_view> SplitUrlList(std::string_view text,
                                           std::initializer_list<std::string_view> schemes);

// Parses every entry with `parse` (std::string_view -> Result<Url>). A
// failure names the entry by position ("node 2 of 3: ..."), never by its
// text, which may hold a password.
template <class Url, class Parse>
Result<std::vector<Url>> ParseUrlList(std::string_view text,
                                      std::initializer_list<std::string_view> schemes,
                                      Parse parse) {
  const std::vector<std::string_view> entries = SplitUrlList(text, schemes);
  std::vector<Url> urls;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    auto url = parse(entries[i]);
    if (!url) {
      if (entries.size() == 1) return Error{url.reason()};
      return Error{"node " + std::to_string(i + 1) + " of " + std::to_string(entries.size()) +
                   ": " + url.reason()};
    }
    urls.push_back(std::move(url).value());
  }
  return urls;
}

// The redacted form of every node, comma-separated (for logs).
template <class Url>
std::string RedactedList(const std::vector<Url>& urls) {
  std::string out;
  for (const Url& url : urls) out += (out.empty() ? "" : ",") + url.Redacted();
  return out;
}

}  // namespace dcp
