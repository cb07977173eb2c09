#pragma once
// Computations that do a known amount of nothing, for benchmarks and load
// tests: they measure the framework's own cost per task.
//   noop      returns at once;
//   sleep:MS  waits MS milliseconds (I/O-bound work);
//   spin:MS   burns MS milliseconds of CPU (CPU-bound work).
// Thread-safe.
#include <chrono>
#include <memory>
#include <string_view>

#include "ports/computation.hpp"

namespace dcp::compute {

class SyntheticComputation final : public Computation {
 public:
  enum class Kind { kNoop, kSleep, kSpin };

  // "noop", "sleep:MS" or "spin:MS" (0 <= MS <= 3600000).
  static Result<std::unique_ptr<SyntheticComputation>> Parse(std::string_view spec);

  SyntheticComputation(Kind kind, std::chrono::microseconds work) : kind_(kind), work_(work) {}
  std::string_view name() const override { return "synthetic"; }
  Result<std::string> Compute(const TaskMessage& task, const RunContext& run, int attempt) override;

 private:
  Kind kind_;
  std::chrono::microseconds work_;
};

}  // namespace dcp::compute
