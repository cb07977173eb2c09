#pragma once
// The broker address as configured: amqp://user:pass@host:port/vhost.
#include <cstdint>
#include <string>
#include <string_view>

#include "domain/result.hpp"

namespace dcp::amqp {

struct AmqpUrl {
  std::string user = "guest";
  std::string password = "guest";  // never printed: use Redacted()
  std::string host;
  std::uint16_t port = 5672;
  std::string vhost = "/";

  // Accepts amqp://[user[:pass]@]host[:port][/vhost]. User, password and
  // vhost are percent-decoded; an empty path means vhost "/". TLS (amqps),
  // query parameters and unencoded '/' in the vhost are refused. The reason
  // of an error never contains the password.
  static Result<AmqpUrl> Parse(std::string_view text);

  // amqp://user:***@host:port/vhost, safe for logs and error messages.
  std::string Redacted() const;

  // host:port, for "cannot reach" messages.
  std::string Endpoint() const;
};

}  // namespace dcp::amqp
