#include "cli/export_csv.hpp"

#include <ostream>

#include "grid/feeder_report.hpp"

namespace dcp::cli {

std::int64_t ExportCsv(RunStore& store, const RunId& run, std::ostream& out) {
  std::int64_t count = 0;
  store.ForEachResult(run, [&](const std::string& computation, const std::string&, LocalMinute,
                               LocalMinute, const std::string& body) {
    if (count++ == 0 && computation == "reference") out << grid::kReferenceCsvHeader << '\n';
    out << body;
  });
  return count;
}

}  // namespace dcp::cli
