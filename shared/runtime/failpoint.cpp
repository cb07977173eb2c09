#include "runtime/failpoint.hpp"

#include <csignal>
#include <functional>
#include <map>

namespace dcp::failpoint {
namespace {

std::map<std::string, std::string, std::less<>>& ArmedMap() {
  static std::map<std::string, std::string, std::less<>> armed;
  return armed;
}

}  // namespace

void Arm(std::string name, std::string value) { ArmedMap()[std::move(name)] = std::move(value); }

void Arm(const std::vector<Armed>& failpoints) {
  for (const Armed& f : failpoints) Arm(f.name, f.value);
}

std::optional<std::string_view> Value(std::string_view name) {
  const auto& armed = ArmedMap();
  const auto it = armed.find(name);
  if (it == armed.end()) return std::nullopt;
  return std::string_view(it->second);
}

void CrashIf(std::string_view name) {
  if (Value(name)) std::raise(SIGKILL);
}

}  // namespace dcp::failpoint
