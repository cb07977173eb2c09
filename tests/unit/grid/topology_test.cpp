#include "grid/topology.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "grid/reference_topology.hpp"
#include "grid/topology_json.hpp"
#include "grid/workload.hpp"

namespace dcp::grid {
namespace {

constexpr std::string_view kSmall = R"({"version":1,"nodes":[
  {"id":"M2","type":"meter","parent":"F1-T1","base_kw":1.5},
  {"id":"S","type":"substation"},
  {"id":"F2","type":"feeder","parent":"S"},
  {"id":"F1","type":"feeder","parent":"S","extra":"ignored"},
  {"id":"F1-T1","type":"transformer","parent":"F1"},
  {"id":"M1","type":"meter","parent":"F1-T1","base_kw":0.25}]})";

TEST(Topology, ParsesInAnyOrderIntoDepthFirstOrder) {
  auto topology = ParseTopology(kSmall);
  ASSERT_TRUE(topology.ok()) << topology.reason();
  std::vector<std::string> ids;
  for (const Node& node : topology->nodes()) ids.push_back(node.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"S", "F1", "F1-T1", "M1", "M2", "F2"}));
  EXPECT_EQ(topology->SubtreeSize(0), 6u);
  EXPECT_EQ(topology->SubtreeSize(1), 4u);
  EXPECT_EQ(topology->ParentIndex(3), 2u);
  EXPECT_EQ(topology->ParentIndex(0), kNoParent);
  EXPECT_EQ(topology->Find("M2"), 4u);
  EXPECT_FALSE(topology->Find("M3").has_value());
  EXPECT_EQ(topology->nodes()[4].base_kw, 1.5);
}

TEST(Topology, ListsFeedersSorted) {
  auto topology = ParseTopology(kSmall);
  ASSERT_TRUE(topology.ok());
  EXPECT_EQ(Feeders(*topology), (std::vector<std::string>{"F1", "F2"}));
}

TEST(Topology, RoundTripsThroughCanonicalJson) {
  auto topology = ParseTopology(kSmall);
  ASSERT_TRUE(topology.ok());
  const std::string json = ToJson(*topology);
  EXPECT_EQ(json,
            "{\"version\":1,\"nodes\":[\n"
            "{\"id\":\"S\",\"type\":\"substation\"},\n"
            "{\"id\":\"F1\",\"type\":\"feeder\",\"parent\":\"S\"},\n"
            "{\"id\":\"F1-T1\",\"type\":\"transformer\",\"parent\":\"F1\"},\n"
            "{\"id\":\"M1\",\"type\":\"meter\",\"parent\":\"F1-T1\",\"base_kw\":0.25},\n"
            "{\"id\":\"M2\",\"type\":\"meter\",\"parent\":\"F1-T1\",\"base_kw\":1.5},\n"
            "{\"id\":\"F2\",\"type\":\"feeder\",\"parent\":\"S\"}\n"
            "]}\n");
  auto again = ParseTopology(json);
  ASSERT_TRUE(again.ok()) << again.reason();
  EXPECT_EQ(*again, *topology);
  EXPECT_EQ(ToJson(*again), json);
}

struct InvalidCase {
  const char* name;
  std::string nodes;  // the "nodes" array, or a whole document if it starts with '!'
  std::string reason;
};

class TopologyRejects : public testing::TestWithParam<InvalidCase> {};

TEST_P(TopologyRejects, WithOneLineReason) {
  const InvalidCase& c = GetParam();
  const std::string json =
      c.nodes.starts_with('!') ? c.nodes.substr(1) : R"({"version":1,"nodes":[)" + c.nodes + "]}";
  auto topology = ParseTopology(json);
  ASSERT_FALSE(topology.ok());
  EXPECT_EQ(topology.reason(), c.reason);
  EXPECT_EQ(topology.reason().find('\n'), std::string::npos);
}

const std::string kRoot =
    R"({"id":"S","type":"substation"},{"id":"F","type":"feeder","parent":"S"},)";

INSTANTIATE_TEST_SUITE_P(
    Table, TopologyRejects,
    testing::Values(
        InvalidCase{"NotJson", "!{", "topology: not valid JSON"},
        InvalidCase{"WrongVersion", R"(!{"version":2,"nodes":[]})",
                    "topology: field 'version' must be 1"},
        InvalidCase{"NoNodes", R"(!{"version":1})", "topology: field 'nodes' must be an array"},
        InvalidCase{"NoFeeder", R"({"id":"S","type":"substation"})",
                    "topology: topology has no feeder"},
        InvalidCase{"DuplicateId", kRoot + R"({"id":"F","type":"feeder","parent":"S"})",
                    "topology: duplicate node id 'F'"},
        InvalidCase{"UnknownType", kRoot + R"({"id":"X","type":"pole","parent":"F"})",
                    "topology: node 'X': unknown type 'pole'"},
        InvalidCase{"BadId", kRoot + R"({"id":"a,b","type":"transformer","parent":"F"})",
                    "topology: node #2: id must be 1-64 characters of [A-Za-z0-9._-]"},
        InvalidCase{"SubstationWithParent",
                    kRoot + R"({"id":"S2","type":"substation","parent":"S"})",
                    "topology: substation 'S2': a substation must not have a parent"},
        InvalidCase{"MissingParent", kRoot + R"({"id":"T","type":"transformer"})",
                    "topology: transformer 'T': missing parent"},
        InvalidCase{"Orphan", kRoot + R"({"id":"T","type":"transformer","parent":"F9"})",
                    "topology: transformer 'T': parent 'F9' does not exist"},
        InvalidCase{"Cycle",
                    kRoot + R"({"id":"A","type":"transformer","parent":"B"},)"
                            R"({"id":"B","type":"transformer","parent":"A"})",
                    "topology: transformer 'A': parent links form a cycle"},
        InvalidCase{"SelfParent", kRoot + R"({"id":"A","type":"transformer","parent":"A"})",
                    "topology: transformer 'A': parent links form a cycle"},
        InvalidCase{"WrongParentType",
                    kRoot + R"({"id":"M","type":"meter","parent":"F","base_kw":1})",
                    "topology: meter 'M': parent feeder 'F' is not a transformer"},
        InvalidCase{"NegativeLoad",
                    kRoot + R"({"id":"T","type":"transformer","parent":"F"},)"
                            R"({"id":"M","type":"meter","parent":"T","base_kw":-1})",
                    "topology: meter 'M': base_kw must be a finite number >= 0"},
        InvalidCase{"MeterWithoutLoad",
                    kRoot + R"({"id":"T","type":"transformer","parent":"F"},)"
                            R"({"id":"M","type":"meter","parent":"T"})",
                    "topology: node 'M': field 'base_kw' must be a number"},
        InvalidCase{"LoadOnFeeder",
                    R"({"id":"S","type":"substation"},)"
                    R"({"id":"F","type":"feeder","parent":"S","base_kw":1})",
                    "topology: node 'F': base_kw is only allowed on meters"}),
    [](const testing::TestParamInfo<InvalidCase>& param) { return std::string(param.param.name); });

TEST(Topology, BuildRejectsNonFiniteLoad) {
  for (double kw : {std::numeric_limits<double>::infinity(), std::nan("")}) {
    auto topology = Topology::Build({{"S", NodeType::kSubstation, "", 0.0},
                                     {"F", NodeType::kFeeder, "S", 0.0},
                                     {"T", NodeType::kTransformer, "F", 0.0},
                                     {"M", NodeType::kMeter, "T", kw}});
    ASSERT_FALSE(topology.ok());
    EXPECT_EQ(topology.reason(), "meter 'M': base_kw must be a finite number >= 0");
  }
}

TEST(Topology, BuildRejectsLoadOnNonMeter) {
  auto topology =
      Topology::Build({{"S", NodeType::kSubstation, "", 0.0}, {"F", NodeType::kFeeder, "S", 2.0}});
  ASSERT_FALSE(topology.ok());
  EXPECT_EQ(topology.reason(), "feeder 'F': base_kw is only allowed on meters");
}

TEST(Workload, IsTheCanonicalTopologyAndItsFeeders) {
  const auto workload = WorkloadOf(EmbeddedReferenceTopology());
  ASSERT_TRUE(workload) << workload.reason();
  const auto topology = ParseTopology(EmbeddedReferenceTopology());
  EXPECT_EQ(workload->topology, ToJson(*topology));
  EXPECT_EQ(workload->selections, Feeders(*topology));
  EXPECT_FALSE(WorkloadOf("{"));
}

}  // namespace
}  // namespace dcp::grid
