// The exit codes of the README's table, for what escapes a binary's body.
#include <gtest/gtest.h>

#include <functional>
#include <stdexcept>

#include "infra/common_options.hpp"
#include "ports/errors.hpp"

namespace dcp {
namespace {

int ExitOf(const std::function<void()>& fail) {
  return GuardedMain("dcp-test", [&] {
    fail();
    return kExitOk;
  });
}

TEST(GuardedMain, EachFailureHasItsExitCode) {
  EXPECT_EQ(GuardedMain("dcp-test", [] { return 6; }), 6);
  EXPECT_EQ(ExitOf([] { throw ConfigError("bad flag"); }), kExitUsage);
  EXPECT_EQ(ExitOf([] { throw UnavailableError("no broker"); }), kExitUnavailable);
  EXPECT_EQ(ExitOf([] { throw DbError("gone", DbErrorKind::kUnavailable); }), kExitUnavailable);
  EXPECT_EQ(ExitOf([] { throw DbError("no table", DbErrorKind::kOther); }), kExitFailure);
  EXPECT_EQ(ExitOf([] { throw LockLostError("lost the run lock"); }), kExitLockLost);
  EXPECT_EQ(ExitOf([] { throw std::runtime_error("bug"); }), kExitFailure);
  EXPECT_EQ(kExitLockLost, 8);
}

}  // namespace
}  // namespace dcp
