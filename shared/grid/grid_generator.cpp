#include "grid/grid_generator.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "grid/load_profile.hpp"
#include "stable_hash.hpp"

namespace dcp::grid {
namespace {

constexpr int kMetersPerSubstation = 2000;
constexpr int kMetersPerTransformer = 10;

std::string Padded(int n, int width) {
  std::string digits = std::to_string(n);
  if (static_cast<int>(digits.size()) < width) {
    digits.insert(0, static_cast<std::size_t>(width) - digits.size(), '0');
  }
  return digits;
}

int Digits(int n) { return static_cast<int>(std::to_string(n).size()); }

// Splits `count` into `parts` shares of at least 1 (precondition: count >=
// parts >= 1), with random weights so that shares range over about 1:3.
std::vector<int> Split(int count, int parts, SplitMixRng& rng) {
  std::vector<std::int64_t> weights(static_cast<std::size_t>(parts));
  std::int64_t total_weight = 0;
  for (auto& w : weights) {
    w = 50 + static_cast<std::int64_t>(rng.NextBelow(101));
    total_weight += w;
  }
  const std::int64_t spare = count - parts;
  std::vector<int> shares(weights.size());
  std::int64_t given = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const std::int64_t extra = spare * weights[i] / total_weight;
    shares[i] = 1 + static_cast<int>(extra);
    given += extra;
  }
  // Integer rounding leaves fewer than `parts` units: hand them out in turn.
  std::size_t next = static_cast<std::size_t>(rng.NextBelow(static_cast<std::uint64_t>(parts)));
  for (; given < spare; ++given, next = (next + 1) % shares.size()) ++shares[next];
  return shares;
}

double BaseKw(const std::string& meter_id, SplitMixRng& rng) {
  const double u = rng.NextUnit();
  const double kw = ClassOf(MeterSeed(meter_id)) == MeterClass::kCommercial ? 2.0 + 10.0 * u * u
                                                                            : 0.25 + 1.25 * u;
  return std::round(kw * 1000.0) / 1000.0;
}

}  // namespace

Topology GenerateGrid(std::uint64_t seed, int meters) {
  meters = std::max(meters, 1);
  SplitMixRng rng(SplitMix64(seed));
  const int substations = meters / kMetersPerSubstation + 1;
  const int meter_width = std::max(4, Digits(meters));
  std::vector<Node> nodes;
  int meter_number = 0;
  const std::vector<int> per_substation = Split(meters, substations, rng);
  for (int s = 0; s < substations; ++s) {
    const std::string sub_id = "S" + Padded(s + 1, Digits(substations));
    nodes.push_back({sub_id, NodeType::kSubstation, "", 0.0});
    const int sub_meters = per_substation[static_cast<std::size_t>(s)];
    const int feeders = std::min(7 + static_cast<int>(rng.NextBelow(3)), sub_meters);
    const std::vector<int> per_feeder = Split(sub_meters, feeders, rng);
    for (int f = 0; f < feeders; ++f) {
      const std::string feeder_id = sub_id + "-F" + Padded(f + 1, Digits(feeders));
      nodes.push_back({feeder_id, NodeType::kFeeder, sub_id, 0.0});
      const int feeder_meters = per_feeder[static_cast<std::size_t>(f)];
      const int transformers =
          std::max(1, (feeder_meters + kMetersPerTransformer / 2) / kMetersPerTransformer);
      const std::vector<int> per_transformer = Split(feeder_meters, transformers, rng);
      for (int t = 0; t < transformers; ++t) {
        const std::string transformer_id =
            feeder_id + "-T" + Padded(t + 1, std::max(2, Digits(transformers)));
        nodes.push_back({transformer_id, NodeType::kTransformer, feeder_id, 0.0});
        for (int m = 0; m < per_transformer[static_cast<std::size_t>(t)]; ++m) {
          std::string meter_id = "M" + Padded(++meter_number, meter_width);
          const double base_kw = BaseKw(meter_id, rng);
          nodes.push_back({std::move(meter_id), NodeType::kMeter, transformer_id, base_kw});
        }
      }
    }
  }
  auto topology = Topology::Build(std::move(nodes));
  if (!topology) throw std::logic_error("GenerateGrid built an invalid grid: " + topology.reason());
  return std::move(topology).value();
}

}  // namespace dcp::grid
