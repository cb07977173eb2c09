#include "infra/server_settings.hpp"

#include <algorithm>
#include <fstream>
#include <string>
#include <utility>

namespace dcp {
namespace {

// A CA file is checked here, once, so that a wrong path or one that no
// connection would use is a usage error (exit 2), not a connection that
// fails later, node after node. `unused`: why it would not be used, when no
// node speaks TLS.
Result<bool> CheckCaFile(const char* flag, const std::string& path, bool tls, const char* unused) {
  if (path.empty()) return true;
  if (!tls) return Error{std::string(flag) + ": " + unused};
  if (!std::ifstream(path)) return Error{std::string(flag) + " '" + path + "': cannot be read"};
  return true;
}

}  // namespace

Result<ServerSettings> ParseServerSettings(const CommonSettings& common, int which) {
  const auto has = [which](CommonOption o) { return (which & static_cast<int>(o)) != 0; };
  ServerSettings s;
  if (has(CommonOption::kTimeZone)) {
    auto tz = TimeZone::Load(common.time_zone);
    if (!tz) return Error{"--tz: " + tz.reason()};
    s.time_zone = std::move(tz).value();
  }
  if (has(CommonOption::kMysql)) {
    auto url = mysql::ParseNodes(common.mysql_url);
    if (!url) return Error{"--mysql-url: " + url.reason()};
    s.mysql_url = std::move(url).value();
    const bool tls = common.mysql_tls == "verify";
    if (auto ca = CheckCaFile("--mysql-ca-file", common.mysql_ca_file, tls,
                              "only used with --mysql-tls verify");
        !ca)
      return Error{ca.reason()};
    for (mysql::MysqlUrl& node : s.mysql_url) {
      node.tls = tls;
      node.ca_file = common.mysql_ca_file;
    }
  }
  if (has(CommonOption::kAmqp)) {
    auto url = amqp::ParseNodes(common.amqp_url);
    if (!url) return Error{"--amqp-url: " + url.reason()};
    s.amqp_url = std::move(url).value();
    const bool tls = std::any_of(s.amqp_url.begin(), s.amqp_url.end(),
                                 [](const amqp::AmqpUrl& node) { return node.tls; });
    if (auto ca = CheckCaFile("--amqp-ca-file", common.amqp_ca_file, tls,
                              "only used with amqps:// URLs, and none is");
        !ca)
      return Error{ca.reason()};
    for (amqp::AmqpUrl& node : s.amqp_url) node.ca_file = common.amqp_ca_file;
  }
  if (has(CommonOption::kQueue)) {
    s.queue = amqp::QueueOptions::From(common.queue, common.queue_type, common.delivery_limit);
  }
  return s;
}

}  // namespace dcp
