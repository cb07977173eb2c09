#include "grid/grid_generator.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "grid/reference_topology.hpp"
#include "grid/topology_json.hpp"

namespace dcp::grid {
namespace {

std::string ReadFile(const char* path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(GridGenerator, IsDeterministic) {
  EXPECT_EQ(ToJson(GenerateGrid(7, 1000)), ToJson(GenerateGrid(7, 1000)));
  EXPECT_NE(ToJson(GenerateGrid(7, 1000)), ToJson(GenerateGrid(8, 1000)));
}

TEST(GridGenerator, BuildsRealisticFanOut) {
  const Topology grid = GenerateGrid(3, 5000);
  std::map<NodeType, int> counts;
  std::map<std::string, int> meters_per_transformer;
  for (const Node& node : grid.nodes()) {
    ++counts[node.type];
    if (node.type == NodeType::kMeter) {
      ++meters_per_transformer[node.parent];
      EXPECT_GT(node.base_kw, 0.0);
      EXPECT_LT(node.base_kw, 12.5);
    }
  }
  EXPECT_EQ(counts[NodeType::kSubstation], 3);
  EXPECT_GE(counts[NodeType::kFeeder], 21);
  EXPECT_LE(counts[NodeType::kFeeder], 27);
  EXPECT_EQ(counts[NodeType::kMeter], 5000);
  EXPECT_EQ(static_cast<int>(meters_per_transformer.size()), counts[NodeType::kTransformer]);
  for (const auto& [transformer, meters] : meters_per_transformer) {
    EXPECT_GE(meters, 2) << transformer;
    EXPECT_LE(meters, 20) << transformer;
  }
}

TEST(GridGenerator, HandlesTinyGrids) {
  const Topology grid = GenerateGrid(1, 1);
  EXPECT_EQ(Feeders(grid), std::vector<std::string>{"S1-F1"});
  EXPECT_EQ(grid.nodes().size(), 4u);
}

TEST(GridGenerator, MatchesTheShippedReferenceFile) {
  const std::string expected = ToJson(GenerateGrid(kReferenceSeed, kReferenceMeters));
  EXPECT_EQ(ReadFile(DCP_GRID_REFERENCE_JSON_PATH), expected)
      << "regenerate with: dcp-grid-gen --seed 42 --meters 400 > data/grid/reference.json";
}

TEST(GridGenerator, EmbedsTheShippedReferenceFile) {
  EXPECT_EQ(EmbeddedReferenceTopology(), ReadFile(DCP_GRID_REFERENCE_JSON_PATH));
  auto topology = ParseTopology(EmbeddedReferenceTopology());
  ASSERT_TRUE(topology.ok()) << topology.reason();
  EXPECT_GE(Feeders(*topology).size(), 7u);
}

}  // namespace
}  // namespace dcp::grid
