#pragma once
// The MySQL server address, from mysql://user:password@host[:port]/database.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "domain/result.hpp"

namespace dcp::mysql {

struct MysqlUrl {
  std::string user;
  std::string password;  // never log it: use Redacted()
  std::string host;
  std::uint16_t port = 3306;
  std::string database;
  // TLS required, the server's certificate verified (chain and host name)
  // against `ca_file`, else the system's CAs. Not part of the URL: from
  // --mysql-tls and --mysql-ca-file.
  bool tls = false;
  std::string ca_file;

  // Accepts exactly mysql://user[:password]@host[:port]/database, with
  // user and password percent-decoded. No query string, no IPv6 literal.
  // The reason of an Error never contains the password.
  static Result<MysqlUrl> Parse(std::string_view text);

  // mysql://user:***@host:port/database, the form for logs and errors.
  std::string Redacted() const;
  // host:port
  std::string Endpoint() const;
};

// A database cluster (Galera), its nodes in the order clients try them.
using MysqlNodes = std::vector<MysqlUrl>;

// One URL, or a comma-separated list of them (one per node, each a full
// URL). The reason of an error never contains a password.
Result<MysqlNodes> ParseNodes(std::string_view text);

}  // namespace dcp::mysql
