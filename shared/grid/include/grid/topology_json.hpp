#pragma once
// The topology file format (version 1), stored with each run and shipped as
// data/grid/reference.json:
//
//   {"version":1,"nodes":[
//   {"id":"S1","type":"substation"},
//   {"id":"S1-F1","type":"feeder","parent":"S1"},
//   {"id":"S1-F1-T01","type":"transformer","parent":"S1-F1"},
//   {"id":"M0001","type":"meter","parent":"S1-F1-T01","base_kw":0.812}
//   ]}
//
// - "id": 1-64 characters of [A-Za-z0-9._-], unique.
// - "type": substation | feeder | transformer | meter.
// - "parent": required except on substations, where it must be absent; the
//   parent is of the type just above (meter -> transformer -> feeder ->
//   substation).
// - "base_kw": meters only (required there): mean load in kW, finite, >= 0.
// - Nodes may come in any order; unknown fields are ignored.
// See Topology::Build for the full list of rules.
#include <string>
#include <string_view>

#include "domain/result.hpp"
#include "grid/topology.hpp"

namespace dcp::grid {

// Decodes and validates. The reason of an Error is one line naming the
// first problem.
Result<Topology> ParseTopology(std::string_view text);

// Canonical form: nodes in Topology order (depth first, siblings by id), one
// per line, fields in the order above, numbers in shortest round-trip form.
// ParseTopology(ToJson(t)) == t, and equal topologies give equal text.
std::string ToJson(const Topology& topology);

}  // namespace dcp::grid
