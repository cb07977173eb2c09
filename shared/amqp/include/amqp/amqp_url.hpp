#pragma once
// The broker address as configured: amqp://user:pass@host:port/vhost, or
// amqps:// for TLS.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "domain/result.hpp"

namespace dcp::amqp {

struct AmqpUrl {
  std::string user = "guest";
  std::string password = "guest";  // never printed: use Redacted()
  std::string host;
  std::uint16_t port = 5672;
  std::string vhost = "/";
  // amqps://: TLS, the broker's certificate verified (chain and host name).
  bool tls = false;
  // With tls: the PEM file of the CAs to trust; empty, the system's. Not
  // part of the URL: it comes from --amqp-ca-file.
  std::string ca_file;

  // Accepts amqp[s]://[user[:pass]@]host[:port][/vhost]. User, password and
  // vhost are percent-decoded; an empty path means vhost "/"; the port
  // defaults to 5672 (amqps: 5671). Query parameters and unencoded '/' in
  // the vhost are refused. The reason of an error never contains the
  // password.
  static Result<AmqpUrl> Parse(std::string_view text);

  // amqp[s]://user:***@host:port/vhost, safe for logs and error messages.
  std::string Redacted() const;

  // host:port, for "cannot reach" messages.
  std::string Endpoint() const;
};

// A broker cluster, its nodes in the order clients try them.
using AmqpNodes = std::vector<AmqpUrl>;

// One URL, or a comma-separated list of them (one per node, each a full
// URL). The reason of an error never contains a password.
Result<AmqpNodes> ParseNodes(std::string_view text);

}  // namespace dcp::amqp
