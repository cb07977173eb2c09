#include "cli/tables.hpp"

#include <algorithm>

#include "views/run_progress.hpp"

namespace dcp::cli {
namespace {

std::string Printable(std::string text) {
  for (char& ch : text) {
    if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) ch = '?';
  }
  return text;
}

// Columns padded to the widest cell (bytes; good enough for ids and ASCII).
std::string Render(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width;
  for (const auto& row : rows) {
    width.resize(std::max(width.size(), row.size()));
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += Printable(row[i]);
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace

std::string RunsTable(const std::vector<RunSummary>& runs, SysSeconds now) {
  std::vector<std::vector<std::string>> rows = {
      {"RUN", "TRIGGER", "STARTED", "STATUS", "DONE", "DURATION"}};
  for (const auto& r : runs) {
    const views::RunProgress p = views::ProgressOf(r, now);
    rows.push_back({r.id.ToString(), r.trigger, views::FormatUtc(r.created_at),
                    std::string(ToString(r.status)),
                    std::to_string(p.done) + "/" + std::to_string(p.total),
                    views::FormatDuration(p.elapsed_seconds)});
  }
  return Render(rows);
}

std::string TasksTable(const std::vector<TaskView>& tasks) {
  std::vector<std::vector<std::string>> rows = {
      {"TASK", "STATUS", "SELECTION", "WINDOW", "ATTEMPTS", "WORKER", "DURATION", "ERROR"}};
  for (const auto& t : tasks) {
    std::string window = "-";
    if (t.start && t.end) window = FormatLocalMinute(*t.start) + " .. " + FormatLocalMinute(*t.end);
    std::string duration = "-";
    if (t.started_at && t.finished_at) {
      duration = views::FormatDuration(
          std::max<std::int64_t>(0, (*t.finished_at - *t.started_at).count()));
    }
    rows.push_back({t.id.ToString(), std::string(ToString(t.status)),
                    t.selection.empty() ? "-" : t.selection, window, std::to_string(t.attempt),
                    t.worker.empty() ? "-" : t.worker, duration, t.error});
  }
  return Render(rows);
}

std::string WorkersTable(const std::vector<WorkerView>& workers, SysSeconds now,
                         std::chrono::seconds stale_after) {
  std::vector<std::vector<std::string>> rows = {
      {"WORKER", "HOST", "LAST HEARTBEAT", "DONE", "IN FLIGHT", "CURRENT TASK", "STATE"}};
  for (const auto& w : workers) {
    const auto since = (now - w.last_seen).count();
    const char* state = w.stopped_at                   ? "stopped"
                        : since <= stale_after.count() ? "alive"
                                                       : "silent";
    rows.push_back({w.worker_id, w.host,
                    views::FormatDuration(std::max<std::int64_t>(0, since)) + " ago",
                    std::to_string(w.tasks_done), std::to_string(w.in_flight),
                    w.current_task.value_or("-"), state});
  }
  return Render(rows);
}

std::string DeadLettersTable(const std::vector<DeadLetter>& letters) {
  std::vector<std::vector<std::string>> rows = {
      {"RUN", "TASK", "SELECTION", "WINDOW", "STATUS", "DEAD-LETTERED", "DELIVERIES", "REASON"}};
  for (const auto& l : letters) {
    std::string selection = "(malformed, " + std::to_string(l.body_bytes) + " bytes)";
    std::string window = "-";
    if (l.task) {
      selection = l.task->selection;
      window = FormatLocalMinute(l.task->start) + " .. " + FormatLocalMinute(l.task->end);
    }
    std::string status = "-";
    if (l.row) {
      status = std::string(ToString(l.row->status)) + " (" + std::to_string(l.row->attempt) + ")";
    }
    std::string reason = l.reason.empty() ? "-" : l.reason;
    if (!l.task && l.malformed != l.reason) reason += " [" + l.malformed + "]";
    rows.push_back({l.run ? l.run->ToString() : "-", l.task_id ? l.task_id->ToString() : "-",
                    selection, window, status,
                    l.dead_lettered_at ? views::FormatUtc(*l.dead_lettered_at) : "-",
                    std::to_string(l.deliveries), reason});
  }
  return Render(rows);
}

std::string PurgeTable(const std::vector<ExpiredRun>& runs) {
  std::vector<std::vector<std::string>> rows = {{"RUN", "JOB", "STATUS", "LAST ACTIVE"}};
  for (const ExpiredRun& run : runs) {
    rows.push_back({run.run.ToString(), run.job, run.status, run.last_active});
  }
  return Render(rows);
}

}  // namespace dcp::cli
