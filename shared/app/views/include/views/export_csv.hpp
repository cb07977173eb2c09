#pragma once
// `dcp export`: a run's results as one CSV, in a deterministic order
// (selection, window start, task id), so that a distributed run and the same
// run done --local give the same bytes.
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

}  // namespace dcp::views
