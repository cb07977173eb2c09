#include "views/view_json.hpp"

#include "views/run_progress.hpp"

namespace dcp::views {
namespace {

using nlohmann::json;

json OptTime(const std::optional<SysSeconds>& t) { return t ? json(FormatUtc(*t)) : json(nullptr); }

json OptMinute(const std::optional<LocalMinute>& t) {
  return t ? json(FormatLocalMinute(*t)) : json(nullptr);
}

}  // namespace

json RunJson(const RunSummary& r, SysSeconds now) {
  const RunProgress p = ProgressOf(r, now);
  json export_state = nullptr;
  if (const auto& e = r.export_state) {
    export_state = {{"status", ToString(e->status)},
                    {"attempt", e->attempt},
                    {"finished_at", OptTime(e->finished_at)},
                    {"error", e->error.empty() ? json(nullptr) : json(e->error)}};
  }
  return {{"run_id", r.id.ToString()},
          {"trigger", r.trigger},
          {"job", r.job},
          {"status", ToString(r.status)},
          {"error", r.error.empty() ? json(nullptr) : json(r.error)},
          {"export", export_state},
          {"task_count", r.task_count ? json(*r.task_count) : json(nullptr)},
          {"published", r.published},
          {"stale", r.stale},
          {"counts",
           {{"QUEUED", r.counts.queued},
            {"STARTED", r.counts.started},
            {"FINISHED", r.counts.finished},
            {"FAILED", r.counts.failed},
            {"CANCELLED", r.counts.cancelled}}},
          {"created_at", FormatUtc(r.created_at)},
          {"finished_at", OptTime(r.finished_at)},
          {"done", p.done},
          {"total", p.total},
          {"elapsed_seconds", p.elapsed_seconds},
          {"rate", p.rate},
          {"eta_seconds", p.eta_seconds ? json(*p.eta_seconds) : json(nullptr)}};
}

json TaskJson(const TaskView& t) {
  json duration = nullptr;
  if (t.started_at && t.finished_at) duration = (*t.finished_at - *t.started_at).count();
  return {{"task_id", t.id.ToString()},
          {"seq", t.seq ? json(*t.seq) : json(nullptr)},
          {"status", ToString(t.status)},
          {"selection", t.selection},
          {"start", OptMinute(t.start)},
          {"end", OptMinute(t.end)},
          {"attempt", t.attempt},
          {"worker", t.worker},
          {"started_at", OptTime(t.started_at)},
          {"finished_at", OptTime(t.finished_at)},
          {"duration_seconds", duration},
          {"error", t.error}};
}

json WorkerJson(const WorkerView& w, SysSeconds now, std::chrono::seconds stale_after) {
  const auto since = (now - w.last_seen).count();
  return {{"worker_id", w.worker_id},
          {"host", w.host},
          {"pid", w.pid},
          {"started_at", FormatUtc(w.started_at)},
          {"last_seen", FormatUtc(w.last_seen)},
          {"stopped_at", OptTime(w.stopped_at)},
          {"tasks_done", w.tasks_done},
          {"in_flight", w.in_flight},
          {"current_task", w.current_task ? json(*w.current_task) : json(nullptr)},
          {"seconds_since_seen", since},
          {"alive", !w.stopped_at && since <= stale_after.count()}};
}

}  // namespace dcp::views
