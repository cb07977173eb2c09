#include "views/export_csv.hpp"

#include <nlohmann/json.hpp>
#include <ostream>

namespace dcp::views {

std::int64_t ExportCsv(RunResults& store, const RunId& run, const CsvHeaders& headers,
                       std::ostream& out) {
  std::int64_t count = 0;
  store.ForEachTask(run, [&](const TaskOutcome& task) {
    if (!task.result) return;
    if (count++ == 0) {
      const auto header = headers.find(task.computation);
      if (header != headers.end()) out << header->second << '\n';
    }
    out << *task.result;
  });
  return count;
}

std::int64_t ExportLines(RunResults& store, const RunId& run, std::ostream& out) {
  using nlohmann::ordered_json;
  std::int64_t count = 0;
  store.ForEachTask(run, [&](const TaskOutcome& task) {
    ordered_json line{
        {"task_id", task.id.ToString()},
        {"selection", task.selection},
        {"start_date", FormatLocalMinute(task.start)},
        {"end_date", FormatLocalMinute(task.end)},
        {"status", ToString(task.status)},
        {"result", task.result ? ordered_json(*task.result) : ordered_json(nullptr)},
        {"error", task.error.empty() ? ordered_json(nullptr) : ordered_json(task.error)}};
    // Stored as it was validated when the run was planned.
    if (!task.params.empty()) line["params"] = ordered_json::parse(task.params, nullptr, false);
    out << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    ++count;
  });
  return count;
}

}  // namespace dcp::views
