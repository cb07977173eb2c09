#pragma once
// The shared settings of CommonSettings in the form the adapters take, each
// checked once, for the four binaries' config loaders: an error names its
// flag (--tz, --mysql-url, --amqp-url).
#include "amqp/amqp_url.hpp"
#include "amqp/queue_topology.hpp"
#include "domain/local_time.hpp"
#include "domain/result.hpp"
#include "infra/common_options.hpp"
#include "mysql/mysql_url.hpp"

namespace dcp {

struct ServerSettings {
  TimeZone time_zone = TimeZone::Load("UTC").value();
  mysql::MysqlNodes mysql_url;
  amqp::AmqpNodes amqp_url;
  amqp::QueueOptions queue;
};

// Parses the settings of `which` (a bit set of CommonOption: a command checks
// only what it uses, e.g. `dcp status` no broker URL); the others keep their
// defaults.
Result<ServerSettings> ParseServerSettings(const CommonSettings& common, int which);

}  // namespace dcp
