#pragma once
// Infrastructure failures are exceptions of these few types, caught in the
// consumer loop and in main. Expected outcomes (bad input) are Results.
#include <stdexcept>
#include <string>

namespace dcp {

// A server could not be reached or dropped the connection: worth retrying
// with backoff.
class UnavailableError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What a database failure means for the operation that hit it (the table
// of MySQL/MariaDB errors per class: docs/design.md, "Database errors").
enum class DbErrorKind {
  kUnavailable,  // transient: connection lost or refused, server gone or shutting down,
                 // read-only or not ready while failing over: wait and retry, without limit
  kConflict,     // transient: deadlock, lock wait timeout: run the transaction again
  kData,         // permanent: this data can never be written (packet too big, data too
                 // long, invalid string, a constraint): never retried
  kOther,        // anything else (privileges, schema, a bug): retried a few times
};

// The database failed. kind() says whether, and how, retrying can help.
class DbError : public std::runtime_error {
 public:
  DbError(const std::string& what, DbErrorKind kind) : std::runtime_error(what), kind_(kind) {}
  // transient: kUnavailable, else kOther.
  DbError(const std::string& what, bool transient)
      : DbError(what, transient ? DbErrorKind::kUnavailable : DbErrorKind::kOther) {}
  DbErrorKind kind() const { return kind_; }
  bool transient() const {
    return kind_ == DbErrorKind::kUnavailable || kind_ == DbErrorKind::kConflict;
  }

 private:
  DbErrorKind kind_;
};

// The broker failed or refused (connection lost, nack, channel closed).
class AmqpError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A lock this process held was lost (its lease ran out unrenewed, or
// another holder took it over): the work it protected stops here, exit
// code 8.
class LockLostError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Bad configuration (URL, flag): reported in one line, exit code 2.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace dcp
