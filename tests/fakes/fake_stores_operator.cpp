// FakeStore's operator views, commands and completion claims.
#include <algorithm>
#include <tuple>

#include "fake_stores.hpp"

namespace dcp::fakes {

std::vector<RunSummary> FakeStore::ListRuns(std::size_t limit) {
  std::vector<RunSummary> out;
  for (auto it = run_order.rbegin(); it != run_order.rend() && out.size() < limit; ++it) {
    out.push_back(*Summary(*it));
  }
  return out;
}

// The fake keeps no creation times (they are the epoch): this says which runs
// count, MysqlRunStore's integration test says when.
JobRunTimes FakeStore::RunTimesOf(const std::string& job) {
  JobRunTimes times;
  for (const RunId& id : run_order) {
    const RunSummary r = *Summary(id);
    if (r.job != job) continue;
    times.newest_created = std::max(times.newest_created.value_or(r.created_at), r.created_at);
    if (!IsTerminal(r.status)) {
      times.oldest_active_created =
          std::min(times.oldest_active_created.value_or(r.created_at), r.created_at);
    }
  }
  return times;
}

std::vector<TaskView> FakeStore::ListTasks(const RunId& run, std::optional<TaskStatus> status,
                                           std::size_t limit, std::size_t offset) {
  std::vector<TaskView> out;
  for (const auto& [id, t] : tasks) {
    if (t.run != run || (status && t.status != *status)) continue;
    TaskView v;
    v.id = id;
    v.seq = t.seq;
    v.status = t.status;
    v.selection = t.selection;
    const auto p = std::find_if(planned.begin(), planned.end(),
                                [&v](const PlannedTask& task) { return task.id == v.id; });
    if (p != planned.end()) {
      v.start = p->start;
      v.end = p->end;
    }
    v.attempt = t.attempt;
    v.worker = t.worker;
    v.error = t.error;
    out.push_back(std::move(v));
  }
  // As the database orders them: by seq (tasks without one last), then id.
  std::sort(out.begin(), out.end(), [](const TaskView& a, const TaskView& b) {
    return std::tuple(!a.seq, a.seq.value_or(0), a.id.ToString()) <
           std::tuple(!b.seq, b.seq.value_or(0), b.id.ToString());
  });
  out.erase(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(std::min(offset, out.size())));
  if (out.size() > limit) out.resize(limit);
  return out;
}

std::vector<WorkerView> FakeStore::ListWorkers(std::optional<std::chrono::seconds> live_within,
                                               std::size_t limit) {
  const auto now = std::chrono::system_clock::now();
  std::vector<WorkerView> out;
  for (const auto& w : workers) {
    if (out.size() == limit) break;
    if (live_within && (w.stopped_at || w.last_seen < now - *live_within)) continue;
    out.push_back(w);
  }
  return out;
}

std::int64_t FakeStore::PruneWorkers(std::chrono::seconds older_than, std::size_t limit) {
  const auto before = std::chrono::system_clock::now() - older_than;
  std::int64_t pruned = 0;
  std::erase_if(workers, [&](const WorkerView& w) {
    const bool old = static_cast<std::size_t>(pruned) < limit && w.last_seen < before;
    pruned += old ? 1 : 0;
    return old;
  });
  return pruned;
}

CancelResult FakeStore::CancelRun(const RunId& run) {
  auto it = runs.find(run);
  if (it == runs.end()) return {CancelResult::Status::kNotFound, 0};
  if (!CanApply(RunEvent::kCancel, it->second.status)) {
    return {CancelResult::Status::kAlreadyEnded, 0};
  }
  it->second.status = RunStatus::kCancelled;
  std::int64_t cancelled = 0;
  for (auto& [id, t] : tasks) {
    if (t.run == run && CanApply(TaskEvent::kCancel, t.status)) {
      t.status = TransitionOf(TaskEvent::kCancel).to;
      t.error = "run cancelled";
      ++cancelled;
    }
  }
  return {CancelResult::Status::kCancelled, cancelled};
}

std::optional<TaskView> FakeStore::GetTask(const RunId& run, const TaskId& task) {
  for (TaskView& view : ListTasks(run, std::nullopt, tasks.size(), 0)) {
    if (view.id == task) return std::move(view);
  }
  return std::nullopt;
}

std::vector<PlannedTask> FakeStore::RequeueFailed(const RunId& run) {
  return Requeue(run, std::nullopt);
}

std::vector<PlannedTask> FakeStore::RequeueFailedTasks(const RunId& run,
                                                       std::span<const TaskId> only) {
  if (only.empty()) return {};
  return Requeue(run, only);
}

std::vector<PlannedTask> FakeStore::Requeue(const RunId& run,
                                            std::optional<std::span<const TaskId>> only) {
  std::vector<PlannedTask> out;
  auto r = runs.find(run);
  if (r == runs.end() || !CanApply(RunEvent::kOperatorRetry, r->second.status)) return out;
  for (const auto& p : planned) {
    FakeTask& t = tasks.at(p.id);
    if (t.run != run || !CanApply(TaskEvent::kOperatorRetry, t.status)) continue;
    if (only && std::find(only->begin(), only->end(), p.id) == only->end()) continue;
    t.status = TransitionOf(TaskEvent::kOperatorRetry).to;
    t.attempt = 0;
    out.push_back(p);
  }
  if (!out.empty()) {
    r->second.status = TransitionOf(RunEvent::kOperatorRetry).to.front();
    r->second.published = std::min(r->second.published, out.front().seq - 1);
    r->second.completion_claimed = r->second.completion_reported = false;
    if (auto& state = r->second.export_state)
      *state = ExportState{ExportStatus::kPending, state->attempt, {}, {}};
  }
  return out;
}

std::optional<RunSummary> FakeStore::ClaimCompletion(std::chrono::seconds lease) {
  for (const RunId& id : run_order) {
    FakeRun& r = runs.at(id);
    // No clock: a claim expires at once with a zero lease, else never.
    const bool claimable = !r.completion_claimed || lease.count() == 0;
    if (IsTerminal(r.status) && claimable && !r.completion_reported) {
      r.completion_claimed = true;
      return Summary(id);
    }
  }
  return std::nullopt;
}

void FakeStore::CompletionReported(const RunId& run) {
  auto it = runs.find(run);
  if (it != runs.end()) it->second.completion_reported = true;
}

std::optional<ExportClaim> FakeStore::ClaimExport(const std::vector<JobVersion>& jobs,
                                                  std::chrono::seconds lease,
                                                  const std::optional<RunId>& only) {
  for (const RunId& id : run_order) {
    if (only && id != *only) continue;
    FakeRun& r = runs.at(id);
    if (!only && r.info.trigger == "local") continue;  // its own process exports it
    const std::string job = r.info.context.job_name.empty() ? "reference" : r.info.context.job_name;
    const bool given = std::any_of(jobs.begin(), jobs.end(), [&](const JobVersion& j) {
      return j.name == job && j.sha256 == r.info.context.job_sha256;
    });
    if (!r.export_state || !given) continue;
    if (r.status != RunStatus::kFinished && r.status != RunStatus::kFailed) continue;
    // No clock: a claim expires at once with a zero lease, else never.
    const bool due = r.export_state->status == ExportStatus::kPending ||
                     (r.export_state->status == ExportStatus::kRunning && lease.count() == 0);
    if (!due) continue;
    r.export_state->status = ExportStatus::kRunning;
    r.export_state->finished_at.reset();
    return ExportClaim{id, job, ++r.export_state->attempt, r.status};
  }
  return std::nullopt;
}

void FakeStore::ExportEnded(const ExportClaim& claim, bool ok, const std::string& error) {
  auto it = runs.find(claim.run);
  if (it == runs.end() || !it->second.export_state) return;
  ExportState& state = *it->second.export_state;
  if (state.status != ExportStatus::kRunning || state.attempt != claim.attempt) return;
  state.status = ok ? ExportStatus::kFinished : ExportStatus::kFailed;
  state.finished_at = SysSeconds{};
  state.error = ok ? "" : error;
}

ExportRequest FakeStore::RequestExport(const RunId& run) {
  auto it = runs.find(run);
  if (it == runs.end()) return ExportRequest::kNotFound;
  FakeRun& r = it->second;
  if (r.status == RunStatus::kCancelled) return ExportRequest::kCancelled;
  if (!r.export_state) return ExportRequest::kNoExport;
  if (!IsTerminal(r.status)) return ExportRequest::kNotEnded;
  if (r.export_state->status == ExportStatus::kRunning) return ExportRequest::kRunning;
  r.export_state->status = ExportStatus::kPending;
  r.export_state->error.clear();
  r.export_state->finished_at.reset();
  return ExportRequest::kRequested;
}

}  // namespace dcp::fakes
