#include "worker/scheduling_policy.hpp"

#include <algorithm>
#include <cmath>

namespace dcp::worker {
namespace {

// An exponentially smoothed duration in seconds (0: none yet).
void Smooth(double& average, double seconds) {
  average = average == 0 ? seconds : 0.8 * average + 0.2 * seconds;
}

}  // namespace

SchedulingPolicy::SchedulingPolicy(int concurrency, std::size_t prefetch,
                                   std::chrono::milliseconds batch_window)
    : concurrency_(concurrency),
      max_ahead_(std::max<std::size_t>(prefetch, 1)),
      batch_window_(batch_window) {}

void SchedulingPolicy::TaskComputed(std::chrono::duration<double> took) {
  Smooth(task_seconds_, took.count());
}

void SchedulingPolicy::RoundRecorded(std::chrono::duration<double> took) {
  Smooth(round_seconds_, took.count());
}

std::size_t SchedulingPolicy::Lookahead() const {
  if (task_seconds_ <= 0 || round_seconds_ <= 0) return 0;
  const double horizon =
      std::max(round_seconds_, std::chrono::duration<double>(batch_window_).count());
  const double ahead = std::floor(concurrency_ * horizon / task_seconds_);
  return ahead >= static_cast<double>(max_ahead_) ? max_ahead_ : static_cast<std::size_t>(ahead);
}

std::size_t SchedulingPolicy::ReadyTarget(std::size_t idle_threads) const {
  return std::min(idle_threads + Lookahead(), max_ahead_);
}

bool SchedulingPolicy::StartDue(const PipelineState& state) const {
  const std::size_t target = ReadyTarget(state.idle_threads);
  return state.incoming > 0 && state.ready < target &&
         (state.ready < state.idle_threads || 2 * state.ready <= target);
}

bool SchedulingPolicy::FinishDue(const PipelineState& state,
                                 std::chrono::steady_clock::time_point now) const {
  if (state.finishing == 0) return false;
  return now - state.finishing_since >= batch_window_ || 2 * state.finishing >= max_ahead_ ||
         (state.incoming == 0 && state.ready == 0);
}

}  // namespace dcp::worker
