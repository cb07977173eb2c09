#include "views/export_csv.hpp"

#include <ostream>

namespace dcp::views {

std::int64_t ExportCsv(RunResults& store, const RunId& run, const CsvHeaders& headers,
                       std::ostream& out) {
  std::int64_t count = 0;
  store.ForEachResult(run, [&](const std::string& computation, const std::string&, LocalMinute,
                               LocalMinute, const std::string& body) {
    if (count++ == 0) {
      const auto header = headers.find(computation);
      if (header != headers.end()) out << header->second << '\n';
    }
    out << body;
  });
  return count;
}

}  // namespace dcp::views
