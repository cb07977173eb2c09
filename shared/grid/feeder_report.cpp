#include "grid/feeder_report.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <vector>

#include "grid/load_profile.hpp"

namespace dcp::grid {
namespace {

using std::chrono::minutes;
using Quarter = std::chrono::duration<std::int64_t, std::ratio<900>>;

constexpr double kHoursPerInterval = 0.25;

// Per node of the subtree, indexed like Topology::Subtree.
struct NodeState {
  std::size_t parent = kNoParent;  // subtree-local index
  bool is_meter = false;
  double base_kw = 0.0;
  std::uint64_t seed = 0;
  MeterClass meter_class = MeterClass::kResidential;
  double kw = 0.0;  // load of the current interval
  double sum_kw = 0.0;
  double peak_kw = -1.0;
  std::size_t peak_interval = 0;
};

// "2024-10-27T02:15+02:00"
std::string FormatWithOffset(LocalMinute local, minutes offset) {
  std::string text = FormatLocalMinute(local);
  text[10] = 'T';
  const auto total = static_cast<long>(offset.count());
  char buf[48];
  std::snprintf(buf, sizeof buf, "%c%02ld:%02ld", total < 0 ? '-' : '+', std::labs(total) / 60,
                std::labs(total) % 60);
  return text + buf;
}

std::vector<NodeState> PrepareNodes(const Topology& topology, std::size_t root) {
  const auto subtree = topology.Subtree(root);
  std::vector<NodeState> nodes(subtree.size());
  for (std::size_t j = 0; j < subtree.size(); ++j) {
    NodeState& state = nodes[j];
    if (j > 0) state.parent = topology.ParentIndex(root + j) - root;
    state.is_meter = subtree[j].type == NodeType::kMeter;
    if (state.is_meter) {
      state.base_kw = subtree[j].base_kw;
      state.seed = MeterSeed(subtree[j].id);
      state.meter_class = ClassOf(state.seed);
    }
  }
  return nodes;
}

// Runs the intervals of `plan`, accumulating each node's sum and peak.
void Accumulate(const TimeZone& tz, const IntervalPlan& plan, std::vector<NodeState>& nodes) {
  for (std::size_t k = 0; k < plan.count; ++k) {
    const SysMinutes start = plan.first + kIntervalLength * static_cast<std::int64_t>(k);
    const LocalMinute local{start.time_since_epoch() + tz.OffsetAt(start)};
    const double shape[2] = {ShapeFactor(MeterClass::kResidential, local),
                             ShapeFactor(MeterClass::kCommercial, local)};
    for (NodeState& n : nodes) {
      n.kw = n.is_meter
                 ? n.base_kw * shape[static_cast<int>(n.meter_class)] * NoiseFactor(n.seed, start)
                 : 0.0;
    }
    // Preorder: descendants follow their node, so a reverse sweep sums bottom-up.
    for (std::size_t j = nodes.size(); j-- > 1;) nodes[nodes[j].parent].kw += nodes[j].kw;
    for (NodeState& n : nodes) {
      n.sum_kw += n.kw;
      if (n.kw > n.peak_kw) {
        n.peak_kw = n.kw;
        n.peak_interval = k;
      }
    }
  }
}

}  // namespace

IntervalPlan PlanIntervals(const TimeZone& tz, LocalMinute start, LocalMinute end_inclusive) {
  const SysMinutes begin = tz.ToSys(start);
  const SysMinutes end = tz.ToSys(end_inclusive + minutes{1});
  IntervalPlan plan;
  plan.first = std::chrono::time_point_cast<minutes>(std::chrono::ceil<Quarter>(begin));
  if (end > plan.first) {
    plan.count = static_cast<std::size_t>((end - plan.first + kIntervalLength - minutes{1}) /
                                          kIntervalLength);
  }
  return plan;
}

Result<std::string> FeederReport(const Topology& topology, const TimeZone& tz,
                                 std::string_view selection, LocalMinute start,
                                 LocalMinute end_inclusive) {
  const auto root = topology.Find(selection);
  if (!root || topology.nodes()[*root].type != NodeType::kFeeder) {
    return Error{"unknown selection '" + std::string(selection) + "': no feeder with that id",
                 true};
  }
  const IntervalPlan plan = PlanIntervals(tz, start, end_inclusive);
  std::vector<NodeState> nodes = PrepareNodes(topology, *root);
  Accumulate(tz, plan, nodes);

  const auto subtree = topology.Subtree(*root);
  std::vector<std::size_t> by_id(subtree.size());
  std::iota(by_id.begin(), by_id.end(), std::size_t{0});
  std::sort(by_id.begin(), by_id.end(),
            [&subtree](std::size_t a, std::size_t b) { return subtree[a].id < subtree[b].id; });

  const std::string prefix = std::string(selection) + "," + FormatLocalMinute(start) + "," +
                             FormatLocalMinute(end_inclusive) + ",";
  std::string out;
  out.reserve(subtree.size() * (prefix.size() + 96));
  for (std::size_t j : by_id) {
    const NodeState& n = nodes[j];
    const double peak = plan.count > 0 ? n.peak_kw : 0.0;
    const double mean = plan.count > 0 ? n.sum_kw / static_cast<double>(plan.count) : 0.0;
    std::string peak_at;
    if (plan.count > 0) {
      const SysMinutes at =
          plan.first + kIntervalLength * static_cast<std::int64_t>(n.peak_interval);
      peak_at = FormatWithOffset(tz.ToLocal(at), tz.OffsetAt(at));
    }
    char numbers[160];
    std::snprintf(numbers, sizeof numbers, ",%zu,%.3f,%.3f,%s,%.4f\n", plan.count,
                  n.sum_kw * kHoursPerInterval, peak, peak_at.c_str(),
                  peak > 0.0 ? mean / peak : 0.0);
    out += prefix;
    out += subtree[j].id;
    out += ',';
    out += NodeTypeName(subtree[j].type);
    out += numbers;
  }
  return out;
}

}  // namespace dcp::grid
