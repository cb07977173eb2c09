#pragma once
// A run's output, in the workload's order then window start (the order of
// the for loop a job comes from; RunResults::ForEachTask), so that a
// distributed run and the same run done --local give the same bytes:
// - ExportCsv: `dcp export` and the completion report's file when the job
//   has no export command: the results as one CSV;
// - ExportLines: the input of a job's export command, one JSON object per
//   task.
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <string>

#include "ports/run_results.hpp"

namespace dcp::views {

// The CSV header line of each computation whose results are CSV rows, by
// Computation::name() (the workload knows them: grid::kReferenceCsvHeader).
using CsvHeaders = std::map<std::string, std::string, std::less<>>;

// Writes the header of the run's computation (none for a computation not in
// `headers`, e.g. exec results) and every result body. Returns the number
// of task results written.
std::int64_t ExportCsv(RunResults& store, const RunId& run, const CsvHeaders& headers,
                       std::ostream& out);

// One line per task: {"task_id", "selection", "start_date", "end_date",
// "status", "result" (null unless FINISHED), "error" (null if none), and
// "params" if the task has any}; dates as in the task message. Returns the
// number of tasks written.
std::int64_t ExportLines(RunResults& store, const RunId& run, std::ostream& out);

}  // namespace dcp::views
