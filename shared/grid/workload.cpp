#include "grid/workload.hpp"

#include <string>

#include "grid/feeder_report.hpp"
#include "grid/reference_computation.hpp"
#include "grid/topology_json.hpp"

namespace dcp::grid {

Result<Workload> WorkloadOf(std::string_view topology_text) {
  auto topology = ParseTopology(topology_text);
  if (!topology) return Error{"topology: " + topology.reason()};
  return Workload{ToJson(*topology), Feeders(*topology)};
}

std::map<std::string, std::string, std::less<>> ReferenceCsvHeaders() {
  return {{std::string(ReferenceComputation().name()), std::string(kReferenceCsvHeader)}};
}

}  // namespace dcp::grid
