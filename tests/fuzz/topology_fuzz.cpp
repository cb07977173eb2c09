// Fuzz target for the topology file parser (grid/topology_json.hpp).
// Properties, on any input:
//  - ParseTopology returns (no crash, leak or UB);
//  - a parsed topology survives ToJson -> ParseTopology unchanged, and its
//    canonical text is a fixed point;
//  - the indexes of a parsed topology agree with its nodes (parents,
//    subtree ranges, Find).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "grid/topology_json.hpp"

namespace {

// Reports a broken property as a crash, which libFuzzer saves.
void Require(bool holds, const char* property, std::string_view text) {
  if (holds) return;
  std::fprintf(stderr, "property violated: %s\ntext: %.*s\n", property,
               static_cast<int>(text.size()), text.data());
  std::abort();
}

void CheckIndexes(const dcp::grid::Topology& topology, std::string_view text) {
  const auto& nodes = topology.nodes();
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    Require(topology.Find(nodes[i].id) == i, "Find(id) is the node's index", text);
    const std::size_t parent = topology.ParentIndex(i);
    if (parent == dcp::grid::kNoParent) {
      Require(nodes[i].parent.empty(), "only parentless nodes have no parent index", text);
    } else {
      Require(parent < i && nodes[parent].id == nodes[i].parent,
              "the parent index points to the parent, before the child", text);
      Require(i < parent + topology.SubtreeSize(parent), "a node lies in its parent's subtree",
              text);
    }
    Require(topology.SubtreeSize(i) >= 1 && i + topology.SubtreeSize(i) <= nodes.size(),
            "a subtree is a non-empty range of nodes", text);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  const auto parsed = dcp::grid::ParseTopology(text);
  if (!parsed) {
    Require(!parsed.reason().empty(), "a rejection has a reason", text);
    return 0;
  }
  CheckIndexes(*parsed, text);

  const std::string canonical = dcp::grid::ToJson(*parsed);
  const auto again = dcp::grid::ParseTopology(canonical);
  Require(again.ok(), "the canonical text of a topology parses", canonical);
  Require(*again == *parsed, "ParseTopology(ToJson(t)) == t", canonical);
  Require(dcp::grid::ToJson(*again) == canonical, "ToJson is a fixed point", canonical);
  return 0;
}
