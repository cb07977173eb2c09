#include "infra/common_options.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

#include "ports/errors.hpp"

namespace dcp {

std::optional<int> ParseCommandLine(CLI::App& app, int argc, const char* const* argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  return std::nullopt;
}

void AddCommonOptions(CLI::App& app, CommonSettings& s, int which) {
  const auto has = [which](CommonOption o) { return (which & static_cast<int>(o)) != 0; };
  if (has(CommonOption::kAmqp)) {
    app.add_option(
           "--amqp-url", s.amqp_url,
           "RabbitMQ URL amqp://user:pass@host:port/vhost (amqps:// for TLS), or one per node, "
           "comma-separated")
        ->envname("DCP_AMQP_URL")
        ->capture_default_str();
    app.add_option("--amqp-ca-file", s.amqp_ca_file,
                   "amqps://: PEM file of the CAs that sign the broker's certificate (default: "
                   "the system's)")
        ->envname("DCP_AMQP_CA_FILE");
  }
  if (has(CommonOption::kMysql)) {
    app.add_option("--mysql-url", s.mysql_url,
                   "MySQL URL mysql://user:pass@host:port/db, or one per node, comma-separated")
        ->envname("DCP_MYSQL_URL")
        ->capture_default_str();
    app.add_option("--mysql-tls", s.mysql_tls,
                   "off, or verify: TLS, the server's certificate and host name verified")
        ->envname("DCP_MYSQL_TLS")
        ->check(CLI::IsMember({"off", "verify"}))
        ->capture_default_str();
    app.add_option("--mysql-ca-file", s.mysql_ca_file,
                   "with --mysql-tls verify: PEM file of the CAs that sign the server's "
                   "certificate (default: the system's)")
        ->envname("DCP_MYSQL_CA_FILE");
  }
  if (has(CommonOption::kQueue)) {
    app.add_option("--queue", s.queue, "task queue name")
        ->envname("DCP_QUEUE")
        ->capture_default_str();
    app.add_option("--queue-type", s.queue_type, "quorum or classic (when dcp declares the queue)")
        ->envname("DCP_QUEUE_TYPE")
        ->check(CLI::IsMember({"quorum", "classic"}))
        ->capture_default_str();
    app.add_option("--delivery-limit", s.delivery_limit,
                   "quorum queue: deliveries before the broker dead-letters a message")
        ->envname("DCP_DELIVERY_LIMIT")
        ->check(CLI::Range(1, 1000))
        ->capture_default_str();
  }
  if (has(CommonOption::kTimeZone)) {
    app.add_option("--tz", s.time_zone, "IANA time zone of windows and cron")
        ->envname("DCP_TZ")
        ->capture_default_str();
  }
  app.add_option("--log-level", s.log.level, "trace|debug|info|warn|error|off")
      ->envname("DCP_LOG_LEVEL")
      ->capture_default_str();
  app.add_option("--log-format", s.log.format, "text, or json (one object per line)")
      ->envname("DCP_LOG_FORMAT")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
}

int GuardedMain(const char* program, const std::function<int()>& body) {
  const auto fail = [program](const std::exception& e, int code) {
    std::cerr << program << ": " << e.what() << "\n";
    return code;
  };
  try {
    return body();
  } catch (const ConfigError& e) {
    return fail(e, kExitUsage);
  } catch (const UnavailableError& e) {
    return fail(e, kExitUnavailable);
  } catch (const DbError& e) {
    return fail(e, e.transient() ? kExitUnavailable : kExitFailure);
  } catch (const LockLostError& e) {
    return fail(e, kExitLockLost);
  } catch (const std::exception& e) {
    return fail(e, kExitFailure);
  }
}

}  // namespace dcp
