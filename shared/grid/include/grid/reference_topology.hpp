#pragma once
// The shipped reference topology: data/grid/reference.json, which is
// ToJson(GenerateGrid(kReferenceSeed, kReferenceMeters)), compiled into the
// library at configure time so that binaries need no data path.
// Regenerate with: dcp-grid-gen --seed 42 --meters 400 > data/grid/reference.json
#include <cstdint>
#include <string_view>

namespace dcp::grid {

inline constexpr std::uint64_t kReferenceSeed = 42;
inline constexpr int kReferenceMeters = 400;

// The file's exact bytes (JSON, topology_json.hpp). Valid for the whole
// program.
std::string_view EmbeddedReferenceTopology();

}  // namespace dcp::grid
