#include "status_sql.hpp"

namespace dcp::mysql {
namespace {

template <class Status>
std::string StatusIn(std::span<const Status> statuses, std::string_view column) {
  std::string sql(column);
  if (statuses.size() == 1) return sql + " = '" + std::string(ToString(statuses.front())) + "'";
  sql += " IN (";
  for (std::size_t i = 0; i < statuses.size(); ++i) {
    if (i > 0) sql += ", ";
    sql += "'" + std::string(ToString(statuses[i])) + "'";
  }
  return sql + ")";
}

}  // namespace

std::string TaskStatusIn(TaskEvent event, std::string_view column) {
  return StatusIn(TransitionOf(event).from, column);
}

std::string SetTaskStatus(TaskEvent event, std::string_view column) {
  return std::string(column) + " = '" + std::string(ToString(TransitionOf(event).to)) + "'";
}

std::string RunStatusIn(std::span<const RunStatus> statuses, std::string_view column) {
  return StatusIn(statuses, column);
}

std::string RunStatusIn(RunEvent event, std::string_view column) {
  return StatusIn(TransitionOf(event).from, column);
}

std::string Quoted(RunStatus status) { return "'" + std::string(ToString(status)) + "'"; }

std::string Quoted(TaskStatus status) { return "'" + std::string(ToString(status)) + "'"; }

std::string Quoted(ExportStatus status) { return "'" + std::string(ToString(status)) + "'"; }

}  // namespace dcp::mysql
