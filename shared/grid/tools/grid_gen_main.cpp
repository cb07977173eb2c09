// dcp-grid-gen --seed N --meters M > file.json
// Writes the canonical JSON of GenerateGrid(N, M) to stdout; see
// grid/topology_json.hpp for the format.
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <string_view>

#include "grid/grid_generator.hpp"
#include "grid/reference_topology.hpp"
#include "grid/topology_json.hpp"

namespace {

template <class T>
bool ParseNumber(std::string_view text, T& out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

int Usage() {
  std::fputs("usage: dcp-grid-gen [--seed N] [--meters M] > topology.json\n", stderr);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t seed = dcp::grid::kReferenceSeed;
  int meters = dcp::grid::kReferenceMeters;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i + 1 >= argc) return Usage();
    const std::string_view value = argv[++i];
    if (arg == "--seed" && ParseNumber(value, seed)) continue;
    if (arg == "--meters" && ParseNumber(value, meters) && meters >= 1) continue;
    return Usage();
  }
  std::cout << dcp::grid::ToJson(dcp::grid::GenerateGrid(seed, meters));
  return std::cout.flush() ? 0 : 1;
}
