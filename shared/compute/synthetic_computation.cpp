#include "compute/synthetic_computation.hpp"

#include <time.h>

#include <charconv>
#include <thread>

namespace dcp::compute {
namespace {

std::chrono::nanoseconds ThreadCpuTime() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

}  // namespace

Result<std::unique_ptr<SyntheticComputation>> SyntheticComputation::Parse(std::string_view spec) {
  if (spec == "noop") {
    return std::make_unique<SyntheticComputation>(Kind::kNoop, std::chrono::microseconds(0));
  }
  const auto colon = spec.find(':');
  const std::string_view kind = spec.substr(0, colon);
  long long ms = -1;
  if (colon != std::string_view::npos) {
    const auto digits = spec.substr(colon + 1);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), ms);
    if (ec != std::errc() || end != digits.data() + digits.size()) ms = -1;
  }
  if ((kind != "sleep" && kind != "spin") || ms < 0 || ms > 3'600'000) {
    return Error{"synthetic computation '" + std::string(spec) +
                 "': expected noop, sleep:MS or spin:MS"};
  }
  return std::make_unique<SyntheticComputation>(kind == "sleep" ? Kind::kSleep : Kind::kSpin,
                                                std::chrono::milliseconds(ms));
}

Result<std::string> SyntheticComputation::Compute(const TaskMessage& task, const RunContext&, int) {
  switch (kind_) {
    case Kind::kSleep:
      std::this_thread::sleep_for(work_);
      break;
    case Kind::kSpin: {
      const auto until = ThreadCpuTime() + work_;
      while (ThreadCpuTime() < until) {
      }
      break;
    }
    case Kind::kNoop:
      break;
  }
  return task.selection + "\n";
}

}  // namespace dcp::compute
