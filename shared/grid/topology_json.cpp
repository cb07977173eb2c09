#include "grid/topology_json.hpp"

#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

namespace dcp::grid {
namespace {

using nlohmann::json;

constexpr int kFormatVersion = 1;

Result<Node> DecodeNode(const json& j, std::size_t position) {
  const std::string where = "node #" + std::to_string(position);
  if (!j.is_object()) return Error{where + ": not an object"};
  auto id = j.find("id");
  if (id == j.end() || !id->is_string()) return Error{where + ": field 'id' must be a string"};
  Node node;
  node.id = id->get<std::string>();
  const std::string named = "node '" + node.id + "'";
  auto type = j.find("type");
  if (type == j.end() || !type->is_string()) {
    return Error{named + ": field 'type' must be a string"};
  }
  auto parsed_type = ParseNodeType(type->get<std::string>());
  if (!parsed_type) return Error{named + ": unknown type '" + type->get<std::string>() + "'"};
  node.type = *parsed_type;
  if (auto parent = j.find("parent"); parent != j.end()) {
    if (!parent->is_string()) return Error{named + ": field 'parent' must be a string"};
    node.parent = parent->get<std::string>();
  }
  auto base_kw = j.find("base_kw");
  if (node.type == NodeType::kMeter) {
    if (base_kw == j.end() || !base_kw->is_number()) {
      return Error{named + ": field 'base_kw' must be a number"};
    }
    node.base_kw = base_kw->get<double>();
  } else if (base_kw != j.end()) {
    return Error{named + ": base_kw is only allowed on meters"};
  }
  return node;
}

}  // namespace

Result<Topology> ParseTopology(std::string_view text) {
  const json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Error{"topology: not valid JSON"};
  if (!doc.is_object()) return Error{"topology: not a JSON object"};
  auto version = doc.find("version");
  if (version == doc.end() || !version->is_number_integer() ||
      version->get<std::int64_t>() != kFormatVersion) {
    return Error{"topology: field 'version' must be 1"};
  }
  auto nodes_json = doc.find("nodes");
  if (nodes_json == doc.end() || !nodes_json->is_array()) {
    return Error{"topology: field 'nodes' must be an array"};
  }
  std::vector<Node> nodes;
  nodes.reserve(nodes_json->size());
  for (const json& j : *nodes_json) {
    auto node = DecodeNode(j, nodes.size());
    if (!node) return Error{"topology: " + node.reason()};
    nodes.push_back(std::move(node).value());
  }
  auto topology = Topology::Build(std::move(nodes));
  if (!topology) return Error{"topology: " + topology.reason()};
  return topology;
}

std::string ToJson(const Topology& topology) {
  std::string out = "{\"version\":1,\"nodes\":[\n";
  bool first = true;
  for (const Node& node : topology.nodes()) {
    nlohmann::ordered_json j;
    j["id"] = node.id;
    j["type"] = NodeTypeName(node.type);
    if (!node.parent.empty()) j["parent"] = node.parent;
    if (node.type == NodeType::kMeter) j["base_kw"] = node.base_kw;
    if (!first) out += ",\n";
    out += j.dump();
    first = false;
  }
  out += "\n]}\n";
  return out;
}

}  // namespace dcp::grid
