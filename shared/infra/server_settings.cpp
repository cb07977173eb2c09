#include "infra/server_settings.hpp"

#include <string>
#include <utility>

namespace dcp {

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
  }
  if (has(CommonOption::kAmqp)) {
    auto url = amqp::ParseNodes(common.amqp_url);
    if (!url) return Error{"--amqp-url: " + url.reason()};
    s.amqp_url = std::move(url).value();
  }
  if (has(CommonOption::kQueue)) {
    s.queue = amqp::QueueOptions::From(common.queue, common.queue_type, common.delivery_limit);
  }
  return s;
}

}  // namespace dcp
