#include "mysql/mysql_url.hpp"

#include <charconv>
#include <optional>

#include "domain/percent_encoding.hpp"
#include "domain/url_list.hpp"

namespace dcp::mysql {
namespace {

constexpr std::string_view kScheme = "mysql://";

bool IsDatabaseChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '$' || c == '-';
}

Error Bad(std::string_view what) { return Error{"MySQL URL: " + std::string(what)}; }

}  // namespace

Result<MysqlUrl> MysqlUrl::Parse(std::string_view text) {
  if (!text.starts_with(kScheme)) return Bad("must start with mysql://");
  text.remove_prefix(kScheme.size());
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return Bad("missing /database");
  const std::string_view authority = text.substr(0, slash);
  const std::string_view database = text.substr(slash + 1);

  const auto at = authority.rfind('@');
  if (at == std::string_view::npos) return Bad("missing user@");
  const std::string_view userinfo = authority.substr(0, at);
  const std::string_view hostport = authority.substr(at + 1);

  MysqlUrl url;
  const auto colon = userinfo.find(':');
  auto user = PercentDecode(userinfo.substr(0, colon));
  if (!user || user->empty()) return Bad("missing or badly encoded user");
  url.user = std::move(*user);
  if (colon != std::string_view::npos) {
    auto password = PercentDecode(userinfo.substr(colon + 1));
    if (!password) return Bad("badly percent-encoded password");
    url.password = std::move(*password);
  }

  const auto port_colon = hostport.find(':');
  url.host = std::string(hostport.substr(0, port_colon));
  if (url.host.empty()) return Bad("missing host");
  if (url.host.find_first_of("[]%/?#") != std::string::npos) return Bad("unsupported host");
  if (port_colon != std::string_view::npos) {
    const std::string_view port = hostport.substr(port_colon + 1);
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 ||
        value > 65535) {
      return Bad("port must be 1..65535");
    }
    url.port = static_cast<std::uint16_t>(value);
  }

  if (database.empty()) return Bad("missing database name");
  for (char c : database) {
    if (c == '?') return Bad("query parameters are not supported");
    if (!IsDatabaseChar(c)) return Bad("database name may hold only [A-Za-z0-9_$-]");
  }
  url.database = std::string(database);
  return url;
}

std::string MysqlUrl::Redacted() const {
  return std::string(kScheme) + user + ":***@" + Endpoint() + "/" + database;
}

std::string MysqlUrl::Endpoint() const { return host + ":" + std::to_string(port); }

Result<MysqlNodes> ParseNodes(std::string_view text) {
  return ParseUrlList<MysqlUrl>(text, {"mysql://"}, MysqlUrl::Parse);
}

}  // namespace dcp::mysql
