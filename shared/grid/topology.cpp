#include "grid/topology.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

namespace dcp::grid {
namespace {

constexpr std::size_t kMaxIdBytes = 64;
constexpr std::array<std::string_view, 4> kTypeNames = {"substation", "feeder", "transformer",
                                                        "meter"};

bool ValidId(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdBytes) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

std::string Describe(const Node& node) {
  return std::string(NodeTypeName(node.type)) + " '" + node.id + "'";
}

// Checks that do not need the other nodes.
std::optional<Error> CheckNode(const Node& node, std::size_t position) {
  if (!ValidId(node.id)) {
    return Error{"node #" + std::to_string(position) +
                 ": id must be 1-64 characters of [A-Za-z0-9._-]"};
  }
  if (!std::isfinite(node.base_kw) || node.base_kw < 0.0) {
    return Error{Describe(node) + ": base_kw must be a finite number >= 0"};
  }
  if (node.type != NodeType::kMeter && node.base_kw != 0.0) {
    return Error{Describe(node) + ": base_kw is only allowed on meters"};
  }
  if (node.type == NodeType::kSubstation && !node.parent.empty()) {
    return Error{Describe(node) + ": a substation must not have a parent"};
  }
  if (node.type != NodeType::kSubstation && node.parent.empty()) {
    return Error{Describe(node) + ": missing parent"};
  }
  return std::nullopt;
}

// Follows parent links from every node; `parent` holds resolved indices.
std::optional<Error> CheckAcyclic(const std::vector<Node>& nodes,
                                  const std::vector<std::size_t>& parent) {
  enum class Mark : unsigned char { kNew, kOnPath, kDone };
  std::vector<Mark> mark(nodes.size(), Mark::kNew);
  std::vector<std::size_t> path;
  for (std::size_t start = 0; start < nodes.size(); ++start) {
    std::size_t i = start;
    while (i != kNoParent && mark[i] == Mark::kNew) {
      mark[i] = Mark::kOnPath;
      path.push_back(i);
      i = parent[i];
    }
    if (i != kNoParent && mark[i] == Mark::kOnPath) {
      return Error{Describe(nodes[i]) + ": parent links form a cycle"};
    }
    for (std::size_t p : path) mark[p] = Mark::kDone;
    path.clear();
  }
  return std::nullopt;
}

}  // namespace

std::string_view NodeTypeName(NodeType type) { return kTypeNames[static_cast<std::size_t>(type)]; }

std::optional<NodeType> ParseNodeType(std::string_view name) {
  for (std::size_t i = 0; i < kTypeNames.size(); ++i) {
    if (kTypeNames[i] == name) return static_cast<NodeType>(i);
  }
  return std::nullopt;
}

Result<Topology> Topology::Build(std::vector<Node> nodes) {
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (auto error = CheckNode(nodes[i], i)) return *error;
  }
  // Sort by id once: uniqueness, parent lookup and sibling order follow.
  std::sort(nodes.begin(), nodes.end(), [](const Node& a, const Node& b) { return a.id < b.id; });
  for (std::size_t i = 1; i < nodes.size(); ++i) {
    if (nodes[i].id == nodes[i - 1].id) return Error{"duplicate node id '" + nodes[i].id + "'"};
  }
  auto index_of = [&nodes](std::string_view id) -> std::size_t {
    auto it = std::lower_bound(nodes.begin(), nodes.end(), id,
                               [](const Node& n, std::string_view key) { return n.id < key; });
    return (it != nodes.end() && it->id == id) ? static_cast<std::size_t>(it - nodes.begin())
                                               : kNoParent;
  };
  std::vector<std::size_t> parent(nodes.size(), kNoParent);
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].parent.empty()) continue;
    parent[i] = index_of(nodes[i].parent);
    if (parent[i] == kNoParent) {
      return Error{Describe(nodes[i]) + ": parent '" + nodes[i].parent + "' does not exist"};
    }
  }
  if (auto error = CheckAcyclic(nodes, parent)) return *error;
  bool has_feeder = false;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    has_feeder = has_feeder || nodes[i].type == NodeType::kFeeder;
    if (parent[i] == kNoParent) continue;
    const auto expected = static_cast<NodeType>(static_cast<int>(nodes[i].type) - 1);
    if (nodes[parent[i]].type != expected) {
      return Error{Describe(nodes[i]) + ": parent " + Describe(nodes[parent[i]]) + " is not a " +
                   std::string(NodeTypeName(expected))};
    }
  }
  if (!has_feeder) return Error{"topology has no feeder"};

  // Depth-first order; nodes are sorted by id, so children lists are too.
  std::vector<std::vector<std::size_t>> children(nodes.size());
  std::vector<std::size_t> stack;  // next node on top
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (parent[i] != kNoParent) children[parent[i]].push_back(i);
  }
  for (std::size_t i = nodes.size(); i-- > 0;) {
    if (parent[i] == kNoParent) stack.push_back(i);
  }
  std::vector<std::size_t> order;  // order[k] = index in `nodes` of canonical node k
  order.reserve(nodes.size());
  while (!stack.empty()) {
    const std::size_t i = stack.back();
    stack.pop_back();
    order.push_back(i);
    stack.insert(stack.end(), children[i].rbegin(), children[i].rend());
  }
  std::vector<std::size_t> position(nodes.size());
  for (std::size_t k = 0; k < order.size(); ++k) position[order[k]] = k;

  Topology t;
  t.nodes_.reserve(nodes.size());
  t.parent_.assign(nodes.size(), kNoParent);
  t.subtree_size_.assign(nodes.size(), 1);
  t.by_id_.resize(nodes.size());
  for (std::size_t k = 0; k < order.size(); ++k) {
    const std::size_t i = order[k];
    if (parent[i] != kNoParent) t.parent_[k] = position[parent[i]];
    t.by_id_[i] = k;
    t.nodes_.push_back(std::move(nodes[i]));
  }
  // Children follow their parent, so a reverse sweep completes each subtree.
  for (std::size_t k = t.nodes_.size(); k-- > 0;) {
    if (t.parent_[k] != kNoParent) t.subtree_size_[t.parent_[k]] += t.subtree_size_[k];
  }
  return t;
}

std::optional<std::size_t> Topology::Find(std::string_view id) const {
  auto it =
      std::lower_bound(by_id_.begin(), by_id_.end(), id,
                       [this](std::size_t k, std::string_view key) { return nodes_[k].id < key; });
  if (it == by_id_.end() || nodes_[*it].id != id) return std::nullopt;
  return *it;
}

std::vector<std::string> Feeders(const Topology& topology) {
  std::vector<std::string> feeders;
  for (const Node& node : topology.nodes()) {
    if (node.type == NodeType::kFeeder) feeders.push_back(node.id);
  }
  std::sort(feeders.begin(), feeders.end());
  return feeders;
}

}  // namespace dcp::grid
