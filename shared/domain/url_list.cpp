#include "domain/url_list.hpp"

namespace dcp {
namespace {

std::string_view Trim(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

bool StartsWithScheme(std::string_view text, std::initializer_list<std::string_view> schemes) {
  text = Trim(text);
  for (const std::string_view scheme : schemes) {
    if (text.starts_with(scheme)) return true;
  }
  return false;
}

}  // namespace

std::vector<std::string_view> SplitUrlList(std::string_view text,
                                           std::initializer_list<std::string_view> schemes) {
  std::vector<std::string_view> entries;
  std::size_t start = 0;
  for (std::size_t comma = text.find(','); comma != std::string_view::npos;
       comma = text.find(',', comma + 1)) {
    if (!StartsWithScheme(text.substr(comma + 1), schemes)) continue;
    entries.push_back(Trim(text.substr(start, comma - start)));
    start = comma + 1;
  }
  entries.push_back(Trim(text.substr(start)));
  return entries;
}

}  // namespace dcp
