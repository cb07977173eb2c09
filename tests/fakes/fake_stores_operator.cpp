// FakeStore's operator views, cancel and completion claims.
#include <algorithm>

#include "fake_stores.hpp"

namespace dcp::fakes {

std::vector<RunSummary> FakeStore::ListRuns(std::size_t limit) {
  std::vector<RunSummary> out;
  for (auto it = run_order.rbegin(); it != run_order.rend() && out.size() < limit; ++it) {
    out.push_back(*GetRun(*it));
  }
  return out;
}

std::vector<TaskView> FakeStore::ListTasks(const RunId& run, std::optional<TaskStatus> status,
                                           std::size_t limit) {
  std::vector<TaskView> out;
  for (const PlannedTask& p : planned) {
    const FakeTask& t = tasks.at(p.id);
    if (t.run != run || (status && t.status != *status) || out.size() >= limit) continue;
    TaskView v;
    v.id = p.id;
    v.seq = p.seq;
    v.status = t.status;
    v.selection = p.selection;
    v.start = p.start;
    v.end = p.end;
    v.attempt = t.attempt;
    v.worker = t.worker;
    v.error = t.error;
    out.push_back(std::move(v));
  }
  return out;
}

CancelResult FakeStore::CancelRun(const RunId& run) {
  auto it = runs.find(run);
  if (it == runs.end()) return {CancelResult::Status::kNotFound, 0};
  if (IsTerminal(it->second.status)) return {CancelResult::Status::kAlreadyEnded, 0};
  it->second.status = RunStatus::kCancelled;
  std::int64_t cancelled = 0;
  for (auto& [id, t] : tasks) {
    if (t.run == run && t.status == TaskStatus::kQueued) {
      t.status = TaskStatus::kCancelled;
      t.error = "run cancelled";
      ++cancelled;
    }
  }
  return {CancelResult::Status::kCancelled, cancelled};
}

std::optional<RunSummary> FakeStore::ClaimCompletion(std::chrono::seconds) {
  for (const RunId& id : run_order) {
    FakeRun& r = runs.at(id);
    if (IsTerminal(r.status) && !r.completion_claimed && !r.completion_reported) {
      r.completion_claimed = true;
      return GetRun(id);
    }
  }
  return std::nullopt;
}

void FakeStore::CompletionReported(const RunId& run) { runs.at(run).completion_reported = true; }

}  // namespace dcp::fakes
