#include "amqp/amqp_url.hpp"

#include <charconv>
#include <optional>

#include "domain/percent_encoding.hpp"
#include "domain/url_list.hpp"

namespace dcp::amqp {
namespace {

constexpr std::string_view kScheme = "amqp://";
constexpr std::string_view kTlsScheme = "amqps://";

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '%' || c == '/' || c == '@' || c == ':' || c == '?' || c == '#' || byte < 0x21 ||
        byte > 0x7e) {
      out.push_back('%');
      out.push_back(kHex[byte >> 4U]);
      out.push_back(kHex[byte & 0x0fU]);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Error Bad(std::string_view what) { return Error{"invalid AMQP URL: " + std::string(what)}; }

}  // namespace

Result<AmqpUrl> AmqpUrl::Parse(std::string_view text) {
  AmqpUrl url;
  url.tls = text.starts_with(kTlsScheme);
  if (url.tls) url.port = 5671;
  if (!url.tls && !text.starts_with(kScheme)) return Bad("it must start with amqp:// or amqps://");
  std::string_view rest = text.substr(url.tls ? kTlsScheme.size() : kScheme.size());
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return Bad("query parameters and fragments are not supported");
  }

  const auto slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  const std::string_view path =
      slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);

  std::string_view host_port = authority;
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    const std::string_view user_info = authority.substr(0, at);
    host_port = authority.substr(at + 1);
    const auto colon = user_info.find(':');
    auto user = PercentDecode(user_info.substr(0, colon));
    if (!user) return Bad("malformed percent-encoding in the user name");
    url.user = std::move(*user);
    url.password.clear();
    if (colon != std::string_view::npos) {
      auto password = PercentDecode(user_info.substr(colon + 1));
      if (!password) return Bad("malformed percent-encoding in the password");
      url.password = std::move(*password);
    }
  }

  std::string_view port_text;
  if (host_port.starts_with('[')) {  // IPv6 literal
    const auto close = host_port.find(']');
    if (close == std::string_view::npos) return Bad("unterminated IPv6 address");
    url.host = std::string(host_port.substr(1, close - 1));
    const std::string_view after = host_port.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) return Bad("junk after the IPv6 address");
    if (!after.empty()) port_text = after.substr(1);
    if (after == ":") return Bad("empty port");
  } else {
    const auto colon = host_port.find(':');
    url.host = std::string(host_port.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = host_port.substr(colon + 1);
      if (port_text.empty()) return Bad("empty port");
    }
  }
  if (url.host.empty()) return Bad("missing host");

  if (!port_text.empty()) {
    unsigned value = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || value == 0 ||
        value > 65535) {
      return Bad("port '" + std::string(port_text) + "' is not a number in 1-65535");
    }
    url.port = static_cast<std::uint16_t>(value);
  }

  if (path.find('/') != std::string_view::npos) {
    return Bad("the vhost must be one path segment (write '/' inside it as %2F)");
  }
  if (!path.empty()) {
    auto vhost = PercentDecode(path);
    if (!vhost) return Bad("malformed percent-encoding in the vhost");
    url.vhost = std::move(*vhost);
  }
  return url;
}

std::string AmqpUrl::Redacted() const {
  const std::string path = vhost == "/" ? std::string{} : PercentEncode(vhost);
  return std::string(tls ? kTlsScheme : kScheme) + PercentEncode(user) + ":***@" + Endpoint() +
         "/" + path;
}

std::string AmqpUrl::Endpoint() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<AmqpNodes> ParseNodes(std::string_view text) {
  return ParseUrlList<AmqpUrl>(text, {kScheme, kTlsScheme}, AmqpUrl::Parse);
}

}  // namespace dcp::amqp
