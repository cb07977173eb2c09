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

// The database failed (connection lost, deadlock, constraint...). `transient`
// says whether retrying the same operation can succeed.
class DbError : public std::runtime_error {
 public:
  DbError(const std::string& what, bool transient)
      : std::runtime_error(what), transient_(transient) {}
  bool transient() const { return transient_; }

 private:
  bool transient_;
};

// The broker failed or refused (connection lost, nack, channel closed).
class AmqpError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Bad configuration (URL, flag): reported in one line, exit code 2.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace dcp
