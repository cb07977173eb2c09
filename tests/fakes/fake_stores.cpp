#include "fake_stores.hpp"

#include <algorithm>

#include "ports/errors.hpp"

namespace dcp::fakes {

bool FakeStore::TryLockRuns() {
  if (locked || lock_held_elsewhere) return false;
  return locked = true;
}

std::optional<RunId> FakeStore::ActiveRun() {
  for (auto it = run_order.rbegin(); it != run_order.rend(); ++it) {
    const FakeRun& r = runs.at(*it);
    if ((r.status == RunStatus::kPublishing || r.status == RunStatus::kRunning) && r.task_count)
      return *it;
  }
  return std::nullopt;
}

void FakeStore::CreateRun(const NewRun& run, const TaskBatches& new_tasks) {
  runs[run.id] =
      FakeRun{run, RunStatus::kPublishing, static_cast<std::int64_t>(new_tasks.size()), 0};
  run_order.push_back(run.id);
  new_tasks.ForEachBatch(new_tasks.size() + 1, [&](std::span<const PlannedTask> batch) {
    for (const auto& t : batch) {
      tasks[t.id] = FakeTask{run.id, TaskStatus::kQueued, t.seq, t.selection, 0, {}, {}};
      planned.push_back(t);
    }
  });
}

void FakeStore::MarkPublished(const RunId& run, std::int64_t through) {
  auto& r = runs.at(run);
  r.published = std::max(r.published, through);
}

void FakeStore::MarkRunning(const RunId& run) {
  auto& r = runs.at(run);
  if (r.status == RunStatus::kPublishing) r.status = RunStatus::kRunning;
  Complete(run);
}

std::vector<PlannedTask> FakeStore::UnpublishedTasks(const RunId& run) {
  std::vector<PlannedTask> out;
  for (const auto& t : planned) {
    const FakeTask& task = tasks.at(t.id);
    if (task.run == run && task.status == TaskStatus::kQueued && t.seq > runs.at(run).published) {
      out.push_back(t);
    }
  }
  return out;
}

std::vector<RunId> FakeStore::RunsLeftPublishing() {
  std::vector<RunId> out;
  for (const auto& id : run_order) {
    if (runs.at(id).status == RunStatus::kPublishing) out.push_back(id);
  }
  return out;
}

std::optional<RunSummary> FakeStore::GetRun(const RunId& run) {
  auto it = runs.find(run);
  if (it == runs.end()) return std::nullopt;
  RunSummary s;
  s.id = run;
  s.trigger = it->second.info.trigger;
  s.status = it->second.status;
  s.task_count = it->second.task_count;
  s.published = it->second.published;
  for (const auto& [id, t] : tasks) {
    if (t.run != run) continue;
    switch (t.status) {
      case TaskStatus::kQueued:
        ++s.counts.queued;
        break;
      case TaskStatus::kStarted:
        ++s.counts.started;
        break;
      case TaskStatus::kFinished:
        ++s.counts.finished;
        break;
      case TaskStatus::kFailed:
        ++s.counts.failed;
        break;
      case TaskStatus::kCancelled:
        ++s.counts.cancelled;
        break;
    }
  }
  return s;
}

std::optional<RunSummary> FakeStore::LatestRun() {
  if (run_order.empty()) return std::nullopt;
  return GetRun(run_order.back());
}

void FakeStore::ForEachResult(const RunId&, const ResultVisitor&) {}

void FakeStore::MaybeFail() {
  if (fail_next_calls > 0) {
    --fail_next_calls;
    throw DbError("fake: server has gone away", /*transient=*/true);
  }
}

StartResult FakeStore::StartTask(const TaskMessage& m, std::string_view worker_id) {
  std::lock_guard lock(mutex_);
  MaybeFail();
  auto it = tasks.find(m.task_id);
  if (it == tasks.end()) {
    if (!runs.count(m.run_id)) {
      runs[m.run_id] =
          FakeRun{NewRun{m.run_id, "external", "{}", {}}, RunStatus::kRunning, std::nullopt, 0};
      run_order.push_back(m.run_id);
    }
    it =
        tasks.emplace(m.task_id, FakeTask{m.run_id, TaskStatus::kQueued, 0, m.selection, 0, {}, {}})
            .first;
  }
  FakeTask& t = it->second;
  if (t.status == TaskStatus::kFinished) return {StartOutcome::kAlreadyFinished, t.attempt};
  if (t.status == TaskStatus::kCancelled) return {StartOutcome::kCancelled, t.attempt};
  t.status = TaskStatus::kStarted;
  t.worker = std::string(worker_id);
  return {StartOutcome::kStarted, ++t.attempt};
}

bool FakeStore::FinishTask(const TaskMessage& m, const TaskResult& result) {
  std::lock_guard lock(mutex_);
  MaybeFail();
  FakeTask& t = tasks.at(m.task_id);
  if (t.status == TaskStatus::kFinished) return false;
  t.status = TaskStatus::kFinished;
  results[m.task_id] = result;
  Complete(m.run_id);
  return true;
}

void FakeStore::FailTask(const TaskId& task, const std::optional<RunId>& run,
                         std::string_view error) {
  std::lock_guard lock(mutex_);
  MaybeFail();
  auto [it, inserted] =
      tasks.try_emplace(task, FakeTask{run, TaskStatus::kQueued, 0, "", 0, {}, {}});
  if (it->second.status == TaskStatus::kFinished || it->second.status == TaskStatus::kCancelled)
    return;
  it->second.status = TaskStatus::kFailed;
  it->second.error = std::string(error);
  if (run && runs.count(*run)) Complete(*run);
}

void FakeStore::RequeueTask(const TaskId& task, std::string_view error) {
  std::lock_guard lock(mutex_);
  MaybeFail();
  FakeTask& t = tasks.at(task);
  if (t.status != TaskStatus::kStarted) return;
  const bool cancelled =
      t.run && runs.count(*t.run) && runs.at(*t.run).status == RunStatus::kCancelled;
  t.status = cancelled ? TaskStatus::kCancelled : TaskStatus::kQueued;
  t.error = std::string(error);
}

std::vector<PlannedTask> FakeStore::RequeueFailed(const RunId& run) {
  std::vector<PlannedTask> out;
  if (runs.at(run).status == RunStatus::kCancelled) return out;
  for (const auto& p : planned) {
    FakeTask& t = tasks.at(p.id);
    if (t.run != run || t.status != TaskStatus::kFailed) continue;
    t.status = TaskStatus::kQueued;
    t.attempt = 0;
    out.push_back(p);
  }
  if (!out.empty()) {
    runs.at(run).status = RunStatus::kPublishing;
    runs.at(run).published = std::min(runs.at(run).published, out.front().seq - 1);
    runs.at(run).completion_claimed = runs.at(run).completion_reported = false;
  }
  return out;
}

std::optional<RunContext> FakeStore::LoadRunContext(const RunId& run) {
  MaybeFail();
  auto it = runs.find(run);
  if (it == runs.end() || it->second.info.context.time_zone.empty()) return std::nullopt;
  return it->second.info.context;
}

RunContext FakeStore::EnsureRunContext(const RunId& run, const RunContext& fallback) {
  MaybeFail();
  auto& r = runs[run];
  if (r.info.context.time_zone.empty()) r.info.context = fallback;
  return r.info.context;
}

void FakeStore::Complete(const RunId& run) {
  FakeRun& r = runs.at(run);
  if (r.status != RunStatus::kRunning || !r.task_count) return;
  std::int64_t done = 0, failed = 0, cancelled = 0;
  for (const auto& [id, t] : tasks) {
    if (t.run != run) continue;
    if (t.status == TaskStatus::kFinished) ++done;
    if (t.status == TaskStatus::kFailed) ++failed;
    if (t.status == TaskStatus::kCancelled) ++cancelled;
  }
  if (done + failed + cancelled < *r.task_count) return;
  r.status = failed ? RunStatus::kFailed : cancelled ? RunStatus::kCancelled : RunStatus::kFinished;
}

}  // namespace dcp::fakes
