#include "runtime/backoff.hpp"

#include <algorithm>

namespace dcp::runtime {

std::chrono::milliseconds Backoff::Next() {
  const auto nominal = std::min(nominal_, policy_.max);
  nominal_ = std::min(nominal_ * 2, policy_.max);
  if (!policy_.jitter) return nominal;
  if (!random_) random_.emplace(seed_.value_or(std::random_device{}()));
  std::uniform_int_distribution<std::int64_t> jitter(nominal.count() / 2, nominal.count());
  return std::chrono::milliseconds(jitter(*random_));
}

void Backoff::Reset() { nominal_ = policy_.first; }

}  // namespace dcp::runtime
