#include "leader/progress.hpp"

#include <cmath>
#include <cstdio>
#include <ostream>
#include <thread>

namespace dcp::leader {

std::string ProgressLine(const RunSummary& run, double tasks_per_second) {
  const auto& c = run.counts;
  const std::int64_t done = c.finished + c.failed;
  const std::int64_t total = run.task_count.value_or(done + c.queued + c.started);
  char buf[256];
  std::string eta = "-";
  if (tasks_per_second > 0 && total > done) {
    eta = std::to_string(std::llround(static_cast<double>(total - done) / tasks_per_second)) + " s";
  }
  std::snprintf(buf, sizeof buf,
                "run %s: %lld/%lld done, %lld failed, %lld running, %.1f tasks/s, ETA %s [%s]",
                run.id.ToString().c_str(), static_cast<long long>(done),
                static_cast<long long>(total), static_cast<long long>(c.failed),
                static_cast<long long>(c.started), tasks_per_second, eta.c_str(),
                std::string(ToString(run.status)).c_str());
  return buf;
}

RunSummary FollowRun(RunReadModel& store, const RunId& run, std::chrono::milliseconds interval,
                     std::ostream& out) {
  using Clock = std::chrono::steady_clock;
  const auto started = Clock::now();
  std::int64_t first_done = -1;
  for (;;) {
    auto summary = store.GetRun(run);
    if (!summary) throw std::runtime_error("run " + run.ToString() + " not found");
    const std::int64_t done = summary->counts.finished + summary->counts.failed;
    if (first_done < 0) first_done = done;
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    const double rate = seconds > 0 ? static_cast<double>(done - first_done) / seconds : 0.0;
    out << ProgressLine(*summary, rate) << std::endl;
    if (IsTerminal(summary->status)) return *summary;
    std::this_thread::sleep_for(interval);  // a display refresh, not synchronisation
  }
}

}  // namespace dcp::leader
