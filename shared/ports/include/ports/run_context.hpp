#pragma once
#include <string>

namespace dcp {

// What a worker needs to know about a run beyond the message: stored by the
// leader when it creates the run, loaded once per run by each worker.
struct RunContext {
  std::string time_zone;  // IANA name, e.g. "Europe/Amsterdam"
  // The output of the job's topology step: opaque bytes, only the
  // computation reads them (the reference one: grid/topology_json.hpp).
  std::string topology;
  std::string job_name{};    // the run's job; empty: a run of another producer
  std::string job_sha256{};  // of the job file the run was planned with; empty: not pinned
};

}  // namespace dcp
