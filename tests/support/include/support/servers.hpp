#pragma once
// The servers a test runs against, named by environment variables
// (DCP_TEST_MYSQL_URL, DCP_TEST_AMQP_URL; scripts/test and scripts/stack set
// them). Without one, a test is skipped and says how to start the servers;
// under DCP_REQUIRE_SERVERS=1 (.ci/run sets it) it fails instead, so CI never
// passes on tests it did not run.
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace dcp::testing {

// True when a missing server is a failure, not a skip.
inline bool ServersRequired() {
  const char* value = std::getenv("DCP_REQUIRE_SERVERS");
  return value != nullptr && std::string_view(value) == "1";
}

// The value of `variable`, or nullopt once the current test is marked
// skipped (or failed, fatally, under DCP_REQUIRE_SERVERS=1). Call it from
// SetUp() or a test body and return on nullopt: gtest then runs no test body.
inline std::optional<std::string> ServerUrl(const char* variable) {
  const char* value = std::getenv(variable);
  if (value != nullptr && *value != '\0') return std::string(value);
  const std::string message =
      std::string(variable) + " not set: start servers with scripts/stack (see README)";
  // GTEST_SKIP / GTEST_FAIL return from the enclosing function, hence the lambdas.
  if (ServersRequired()) {
    [&] { GTEST_FAIL() << message << " (DCP_REQUIRE_SERVERS=1: a skipped server test fails)"; }();
  } else {
    [&] { GTEST_SKIP() << message; }();
  }
  return std::nullopt;
}

}  // namespace dcp::testing
