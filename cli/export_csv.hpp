#pragma once
// `dcp export`: a run's results as one CSV, in a deterministic order
// (selection, window start, task id), so that a distributed run and the same
// run done --local give the same bytes.
#include <iosfwd>

#include "ports/run_store.hpp"

namespace dcp::cli {

// Writes the header of the run's computation (none for exec results) and
// every result body. Returns the number of task results written.
std::int64_t ExportCsv(RunStore& store, const RunId& run, std::ostream& out);

}  // namespace dcp::cli
