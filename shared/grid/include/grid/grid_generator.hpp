#pragma once
// A synthetic distribution grid for demos, tests and benchmarks.
#include <cstdint>

#include "grid/topology.hpp"

namespace dcp::grid {

// Deterministic in (seed, meters) on every platform. Shape: meters/2000 + 1
// substations (ids S1, S2...), 7-9 feeders each (S1-F1...), transformers of
// 5-15 meters (S1-F1-T01...), meters M0001... numbered in tree order. About
// one meter in six is commercial (see ClassOf), with a larger base_kw.
// Feeders get unequal shares of the meters. `meters` < 1 counts as 1.
Topology GenerateGrid(std::uint64_t seed, int meters);

}  // namespace dcp::grid
