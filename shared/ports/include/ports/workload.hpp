#pragma once
// What a run is made of, as the topology and workload steps produce it:
// the topology, stored with the run and given to every task (RunContext),
// and the selections that the run plans per date window. The reference
// workload makes one from a grid topology (grid/workload.hpp).
#include <string>
#include <vector>

namespace dcp {

struct Workload {
  std::string topology;                 // opaque to dcp: only the computation reads it
  std::vector<std::string> selections;  // in planning order; no duplicates
  // Each selection's params (a JSON object, compact; "" for none), carried in
  // its tasks' messages. Empty: no selection has any.
  std::vector<std::string> params{};
};

}  // namespace dcp
