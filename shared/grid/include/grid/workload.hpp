#pragma once
// The reference workload: a grid topology file's canonical JSON as the
// run's topology, and its feeders as the selections.
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "domain/result.hpp"
#include "ports/workload.hpp"

namespace dcp::grid {

// Errors: the topology does not parse or validate (the reason says where).
Result<Workload> WorkloadOf(std::string_view topology_text);

// WorkloadOf the topology file `path` (the --topology flag of the binaries
// that plan runs); an empty path: the embedded reference grid. Errors name
// --topology.
Result<Workload> LoadWorkload(const std::string& path);

// The CSV header line of the reference computation's results, by its
// Computation::name(), for the export (views::CsvHeaders).
std::map<std::string, std::string, std::less<>> ReferenceCsvHeaders();

}  // namespace dcp::grid
