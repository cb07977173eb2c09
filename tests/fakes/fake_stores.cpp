#include "fake_stores.hpp"

#include <algorithm>
#include <tuple>

#include "ports/errors.hpp"

namespace dcp::fakes {

bool FakeStore::TryLockRuns(const std::string& job) {
  if (lock_held_elsewhere) return false;
  locked_jobs.insert(job);  // idempotent, as the lease
  run_lock_lost = false;
  return true;
}

bool FakeStore::RunLockHeld(const std::string& job) const {
  return locked_jobs.contains(job) && !run_lock_lost;
}

std::optional<RunId> FakeStore::ActiveRun(const std::string& job) {
  for (auto it = run_order.rbegin(); it != run_order.rend(); ++it) {
    const FakeRun& r = runs.at(*it);
    if (!IsTerminal(r.status) && r.task_count && r.info.context.job_name == job) return *it;
  }
  return std::nullopt;
}

void FakeStore::CreateRun(const NewRun& run, const TaskBatches& new_tasks) {
  runs[run.id] =
      FakeRun{run, RunStatus::kPublishing, static_cast<std::int64_t>(new_tasks.size()), 0};
  if (run.has_export) runs[run.id].export_state = ExportState{};
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
  if (lose_run_lock_after_marks > 0 && --lose_run_lock_after_marks == 0) run_lock_lost = true;
}

void FakeStore::MarkRunning(const RunId& run) {
  auto& r = runs.at(run);
  if (CanApply(RunEvent::kPublished, r.status)) r.status = RunStatus::kRunning;
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

std::vector<RunId> FakeStore::RunsLeftPublishing(const std::string& job) {
  std::vector<RunId> out;
  for (const auto& id : run_order) {
    const FakeRun& r = runs.at(id);
    if (r.status == RunStatus::kPublishing && r.info.context.job_name == job) out.push_back(id);
  }
  return out;
}

void FakeStore::RecordFailedRun(const NewRun& run, const std::string& error) {
  FakeRun& r = runs[run.id] = FakeRun{run, RunStatus::kFailed, 0, 0};
  r.error = error;
  run_order.push_back(run.id);
}

std::optional<RunSummary> FakeStore::Summary(const RunId& run) const {
  auto it = runs.find(run);
  if (it == runs.end()) return std::nullopt;
  RunSummary s;
  s.id = run;
  s.trigger = it->second.info.trigger;
  s.job = it->second.info.context.job_name.empty() ? "reference" : it->second.info.context.job_name;
  s.error = it->second.error;
  s.export_state = it->second.export_state;
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

std::optional<RunSummary> FakeStore::GetRun(const RunId& run) { return Summary(run); }

std::optional<RunSummary> FakeStore::LatestRun() {
  if (run_order.empty()) return std::nullopt;
  return Summary(run_order.back());
}

void FakeStore::ForEachTask(const RunId& run, const TaskVisitor& visit) {
  // As the database orders them: the selection's position in the workload
  // ((seq - 1) % selection_count), then start, then task id.
  const auto r = runs.find(run);
  const std::int64_t selections = r == runs.end() ? 0 : r->second.info.selection_count;
  std::vector<std::tuple<std::int64_t, std::string, LocalMinute, std::string, const PlannedTask*>>
      rows;
  for (const PlannedTask& p : planned) {
    if (tasks.at(p.id).run != run) continue;
    const std::int64_t position = selections > 0 ? (p.seq - 1) % selections : 0;
    rows.emplace_back(position, selections > 0 ? "" : p.selection, p.start, p.id.ToString(), &p);
  }
  std::sort(rows.begin(), rows.end());
  for (const auto& entry : rows) {
    const PlannedTask& p = *std::get<4>(entry);
    const FakeTask& t = tasks.at(p.id);
    TaskOutcome outcome{p.id, p.selection, p.start, p.end, t.status, {}, {}, t.error, p.params};
    if (auto result = results.find(p.id); result != results.end()) {
      outcome.computation = result->second.computation;
      outcome.result = result->second.body;
    }
    visit(outcome);
  }
}

void FakeStore::MaybeFail() {
  if (fail_next_calls > 0) {
    --fail_next_calls;
    throw DbError("fake: server has gone away", /*transient=*/true);
  }
}

void FakeStore::EnsureRun(const RunId& run) {
  if (runs.count(run)) return;
  runs[run] = FakeRun{NewRun{run, "external", "{}", {}}, RunStatus::kRunning, std::nullopt, 0};
  run_order.push_back(run);
}

FakeTask& FakeStore::AddUnplanned(const TaskId& task, const std::optional<RunId>& run,
                                  std::string selection) {
  if (run) {
    EnsureRun(*run);
    auto& count = runs.at(*run).task_count;
    if (count) ++*count;
  }
  return tasks[task] =
             FakeTask{run, TaskStatus::kQueued, std::nullopt, std::move(selection), 0, {}, {}};
}

StartResult FakeStore::StartTask(const TaskMessage& m, std::string_view worker_id) {
  std::lock_guard lock(mutex_);
  MaybeFail();
  auto it = tasks.find(m.task_id);
  FakeTask& t = it != tasks.end() ? it->second : AddUnplanned(m.task_id, m.run_id, m.selection);
  if (t.status == TaskStatus::kFinished) return {StartOutcome::kAlreadyFinished, t.attempt};
  if (t.status == TaskStatus::kCancelled) return {StartOutcome::kCancelled, t.attempt};
  if (CanApply(TaskEvent::kRestart, t.status)) {
    // A completed run is never reopened: its FAILED task is failed for good.
    const auto run = t.run ? runs.find(*t.run) : runs.end();
    if (!t.run) return {StartOutcome::kAlreadyFinished, t.attempt};
    if (run != runs.end() && run->second.status == RunStatus::kCancelled) {
      return {StartOutcome::kCancelled, t.attempt};
    }
    if (run != runs.end() && IsTerminal(run->second.status)) {
      return {StartOutcome::kAlreadyFinished, t.attempt};
    }
  }
  t.status = TransitionOf(TaskEvent::kStart).to;
  t.worker = std::string(worker_id);
  t.error.clear();
  return {StartOutcome::kStarted, ++t.attempt};
}

bool FakeStore::FinishLocked(const TaskId& task, const TaskResult& result) {
  auto it = tasks.find(task);
  if (it == tasks.end() || !CanApply(TaskEvent::kFinish, it->second.status)) return false;
  it->second.status = TransitionOf(TaskEvent::kFinish).to;
  it->second.error.clear();
  results[task] = result;
  Complete(it->second.run);
  return true;
}

bool FakeStore::FinishTask(const TaskMessage& m, const TaskResult& result) {
  std::lock_guard lock(mutex_);
  MaybeFail();
  return FinishLocked(m.task_id, result);
}

BatchRecord FakeStore::RecordBatch(const std::vector<FinishItem>& finish,
                                   const std::vector<const TaskMessage*>& start,
                                   std::string_view worker_id) {
  std::lock_guard lock(mutex_);
  if (finish.empty() && start.empty()) return {};
  MaybeFail();  // all or nothing, as one transaction
  BatchRecord record;
  for (const FinishItem& item : finish) {
    record.finished.push_back(FinishLocked(item.task->task_id, *item.result));
  }
  std::map<TaskId, std::optional<StartResult>> answers;  // a task id that comes twice: once
  for (const TaskMessage* m : start) {
    auto [answer, first] = answers.try_emplace(m->task_id);
    if (first) {
      auto it = tasks.find(m->task_id);
      if (it == tasks.end()) {
        // No row: left to StartTask.
      } else if (FakeTask& t = it->second; CanApply(TaskEvent::kStart, t.status)) {
        t.status = TransitionOf(TaskEvent::kStart).to;
        t.worker = std::string(worker_id);
        t.error.clear();
        answer->second = StartResult{StartOutcome::kStarted, ++t.attempt};
      } else if (t.status == TaskStatus::kFinished) {
        answer->second = StartResult{StartOutcome::kAlreadyFinished, t.attempt};
      } else if (t.status == TaskStatus::kCancelled) {
        answer->second = StartResult{StartOutcome::kCancelled, t.attempt};
      }  // FAILED (TaskEvent::kRestart): left to StartTask
    }
    record.started.push_back(answer->second);
  }
  return record;
}

WriteOutcome FakeStore::FailTask(const TaskId& task, const std::optional<RunId>& run, int attempt,
                                 std::string_view error) {
  std::lock_guard lock(mutex_);
  MaybeFail();
  auto it = tasks.find(task);
  if (it == tasks.end()) {
    FakeTask& t = AddUnplanned(task, run, "");
    t.status = TransitionOf(TaskEvent::kFail).to;
    t.error = std::string(error);
    Complete(t.run);
    return WriteOutcome::kApplied;
  }
  FakeTask& t = it->second;
  const bool open = CanApply(TaskEvent::kFail, t.status);
  if (t.attempt != attempt) return open ? WriteOutcome::kNotOwner : WriteOutcome::kEnded;
  if (t.status == TaskStatus::kFailed) {
    t.error = std::string(error);  // the latest error, counted once
    return WriteOutcome::kApplied;
  }
  if (!open) return WriteOutcome::kEnded;
  t.status = TransitionOf(TaskEvent::kFail).to;
  t.error = std::string(error);
  Complete(t.run);
  return WriteOutcome::kApplied;
}

WriteOutcome FakeStore::RequeueTask(const TaskId& task, int attempt, std::string_view error) {
  std::lock_guard lock(mutex_);
  MaybeFail();
  auto it = tasks.find(task);
  if (it == tasks.end()) return WriteOutcome::kEnded;
  FakeTask& t = it->second;
  if (!CanApply(TaskEvent::kFail, t.status)) return WriteOutcome::kEnded;  // ended
  if (t.attempt != attempt) return WriteOutcome::kNotOwner;
  if (t.status == TaskStatus::kQueued) return WriteOutcome::kApplied;  // done by this attempt
  const bool cancelled =
      t.run && runs.count(*t.run) && runs.at(*t.run).status == RunStatus::kCancelled;
  const TaskEvent event = cancelled ? TaskEvent::kCancelRetry : TaskEvent::kRequeue;
  t.status = TransitionOf(event).to;
  t.error = std::string(error);
  return WriteOutcome::kApplied;
}

std::optional<RunContext> FakeStore::LoadRunContext(const RunId& run) {
  std::lock_guard lock(mutex_);
  MaybeFail();
  auto it = runs.find(run);
  if (it == runs.end() || it->second.info.context.time_zone.empty()) return std::nullopt;
  return it->second.info.context;
}

RunContext FakeStore::EnsureRunContext(const RunId& run, const RunContext& fallback) {
  std::lock_guard lock(mutex_);
  MaybeFail();
  EnsureRun(run);
  auto& r = runs.at(run);
  if (r.info.context.time_zone.empty()) {
    r.info.context = fallback;  // a run of another producer: no job of its own
    r.info.context.job_name.clear();
    r.info.context.job_sha256.clear();
  }
  return r.info.context;
}

void FakeStore::Complete(const std::optional<RunId>& run) {
  if (!run || !runs.count(*run)) return;
  FakeRun& r = runs.at(*run);
  if (!CanApply(RunEvent::kComplete, r.status) || !r.task_count) return;
  const TaskCounts counts = Summary(*run)->counts;
  if (counts.finished + counts.failed + counts.cancelled < *r.task_count) return;
  r.status = CompletedStatus(counts.failed, counts.cancelled);
}

}  // namespace dcp::fakes
