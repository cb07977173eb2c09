#pragma once
// The grid topology of a run: a forest of substation > feeder > transformer
// > meter trees. A Topology is always valid: the only ways to get one are
// Topology::Build and ParseTopology (topology_json.hpp), which validate.
// Immutable once built, so a const Topology is safe to share across threads.
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "domain/result.hpp"

namespace dcp::grid {

// Ordered by level: a node's parent is always of the type just above it.
enum class NodeType { kSubstation, kFeeder, kTransformer, kMeter };

// "substation", "feeder", "transformer", "meter".
std::string_view NodeTypeName(NodeType type);
std::optional<NodeType> ParseNodeType(std::string_view name);

struct Node {
  // 1-64 characters of [A-Za-z0-9._-], so that ids are safe in CSV and JSON.
  std::string id;
  NodeType type = NodeType::kMeter;
  std::string parent;    // empty for substations only
  double base_kw = 0.0;  // meters: mean load in kW; 0 for the other types
  bool operator==(const Node&) const = default;
};

inline constexpr std::size_t kNoParent = static_cast<std::size_t>(-1);

class Topology {
 public:
  // Validates and indexes. Rules, each with a one-line reason on failure:
  // well-formed unique ids; substations have no parent, every other node
  // has one, and it exists; no cycles; a node's parent is of the type just
  // above it; base_kw finite and >= 0, and 0 except on meters; at least one
  // feeder. The input order does not matter.
  static Result<Topology> Build(std::vector<Node> nodes);

  // Canonical order: depth first, roots and siblings sorted by id. So the
  // subtree of node i is the contiguous range [i, i + SubtreeSize(i)).
  const std::vector<Node>& nodes() const { return nodes_; }
  // Index in nodes() of the parent, kNoParent for a substation.
  std::size_t ParentIndex(std::size_t i) const { return parent_[i]; }
  std::size_t SubtreeSize(std::size_t i) const { return subtree_size_[i]; }
  std::span<const Node> Subtree(std::size_t i) const {
    return std::span<const Node>(nodes_).subspan(i, subtree_size_[i]);
  }
  std::optional<std::size_t> Find(std::string_view id) const;

  bool operator==(const Topology& other) const { return nodes_ == other.nodes_; }

 private:
  Topology() = default;
  std::vector<Node> nodes_;
  std::vector<std::size_t> parent_;
  std::vector<std::size_t> subtree_size_;
  std::vector<std::size_t> by_id_;  // indices into nodes_, sorted by id
};

// The feeder ids, sorted: the selections of the reference workload.
std::vector<std::string> Feeders(const Topology& topology);

}  // namespace dcp::grid
