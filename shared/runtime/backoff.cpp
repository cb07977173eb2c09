#include "runtime/backoff.hpp"

#include <algorithm>

namespace dcp::runtime {

Backoff::Backoff(BackoffOptions options, std::uint64_t seed)
    : options_(options), nominal_(options.initial), random_(seed) {}

std::chrono::milliseconds Backoff::Next() {
  const auto nominal = std::min(nominal_, options_.max);
  nominal_ = std::min(nominal_ * 2, options_.max);
  std::uniform_int_distribution<std::int64_t> jitter(nominal.count() / 2, nominal.count());
  return std::chrono::milliseconds(jitter(random_));
}

void Backoff::Reset() { nominal_ = options_.initial; }

}  // namespace dcp::runtime
