#pragma once
// Helpers of the binaries' config loader tests (tests/unit/<exe>/*_config_test.cpp).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "domain/result.hpp"

namespace dcp::testing {

// `program` and `args` as main receives them: LoadFooConfig(argc, argv).
template <class Loader>
auto LoadArgs(Loader load, const char* program, std::initializer_list<const char*> args) {
  std::vector<const char*> argv{program};
  argv.insert(argv.end(), args.begin(), args.end());
  return load(static_cast<int>(argv.size()), argv.data());
}

// Sets an environment variable for its scope (CLI11 reads DCP_* options
// from the environment).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) { setenv(name, value, 1); }
  ~ScopedEnv() { unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
};

// `r` is an error whose reason mentions `mentions` (the flag at fault).
template <class T>
void ExpectError(const Result<T>& r, const std::string& mentions) {
  ASSERT_FALSE(r) << "accepted; expected an error naming " << mentions;
  EXPECT_NE(r.reason().find(mentions), std::string::npos) << r.reason();
}

}  // namespace dcp::testing
