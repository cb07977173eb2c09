#pragma once
#include <string>

namespace dcp {

// What a worker needs to know about a run beyond the message: stored by the
// leader when it creates the run, loaded once per run by each worker.
struct RunContext {
  std::string time_zone;      // IANA name, e.g. "Europe/Amsterdam"
  std::string topology_json;  // the grid topology of the run (grid/topology_json.hpp)
};

}  // namespace dcp
