#pragma once
// Process-wide logging on spdlog. Call InitLogging once in main, before any
// thread starts; then log with spdlog::info(...) etc. from any thread.
#include <string>
#include <string_view>

#include "domain/result.hpp"

namespace dcp {

struct LogSettings {
  std::string level = "info";   // trace|debug|info|warn|error|off
  std::string format = "text";  // text: human; json: one object per line, for collectors
};

// Validates and installs the settings; `component` ("leader", "worker"...)
// is part of every line. Error names the bad value.
Result<bool> InitLogging(const LogSettings& settings, std::string_view component);

}  // namespace dcp
