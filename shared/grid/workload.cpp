#include "grid/workload.hpp"

#include <fstream>
#include <iterator>
#include <string>

#include "grid/feeder_report.hpp"
#include "grid/reference_computation.hpp"
#include "grid/reference_topology.hpp"
#include "grid/topology_json.hpp"

namespace dcp::grid {

Result<Workload> WorkloadOf(std::string_view topology_text) {
  auto topology = ParseTopology(topology_text);
  if (!topology) return Error{"topology: " + topology.reason()};
  return Workload{ToJson(*topology), Feeders(*topology)};
}

Result<Workload> LoadWorkload(const std::string& path) {
  std::string text(EmbeddedReferenceTopology());
  if (!path.empty()) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error{"--topology " + path + ": cannot read the file"};
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto workload = WorkloadOf(text);
  if (!workload) return Error{"--topology: " + workload.reason()};
  return workload;
}

std::map<std::string, std::string, std::less<>> ReferenceCsvHeaders() {
  return {{std::string(ReferenceComputation().name()), std::string(kReferenceCsvHeader)}};
}

}  // namespace dcp::grid
