#include "infra/server_settings.hpp"

#include <algorithm>
#include <fstream>
#include <string>
#include <utility>

namespace dcp {
namespace {

// A CA file is checked here, once, so that a wrong path is a usage error
// (exit 2) and not a connection that fails later, node after node.
Result<bool> CheckCaFile(const char* flag, const std::string& path) {
  if (!path.empty() && !std::ifstream(path)) {
    return Error{std::string(flag) + " '" + path + "': cannot be read"};
  }
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
    if (!tls && !common.mysql_ca_file.empty()) {
      return Error{"--mysql-ca-file: only used with --mysql-tls verify"};
    }
    if (auto ca = CheckCaFile("--mysql-ca-file", common.mysql_ca_file); !ca)
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
    if (!common.amqp_ca_file.empty() &&
        std::none_of(s.amqp_url.begin(), s.amqp_url.end(),
                     [](const amqp::AmqpUrl& node) { return node.tls; })) {
      return Error{"--amqp-ca-file: only used with amqps:// URLs, and none is"};
    }
    if (auto ca = CheckCaFile("--amqp-ca-file", common.amqp_ca_file); !ca)
      return Error{ca.reason()};
    for (amqp::AmqpUrl& node : s.amqp_url) node.ca_file = common.amqp_ca_file;
  }
  if (has(CommonOption::kQueue)) {
    s.queue = amqp::QueueOptions::From(common.queue, common.queue_type, common.delivery_limit);
  }
  return s;
}

}  // namespace dcp
