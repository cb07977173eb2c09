#pragma once
// A set of named metrics, rendered in the Prometheus text exposition format
// (version 0.0.4), e.g. for GET /metrics.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "metrics/metric.hpp"
#include "runtime/mutex.hpp"

namespace dcp::metrics {

// Constant labels of one series, rendered in this order: {{"queue", "dcp.tasks"}}.
using Labels = std::vector<std::pair<std::string, std::string>>;

// Thread-safe: Add* and Render may be called from any thread. The references
// returned stay valid as long as the registry lives; updates through them are
// lock-free. A family (one name) has one kind and one HELP text; series in it
// differ by their labels.
class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Adding a (name, labels) pair that exists returns the existing metric, so
  // independent components can share one. Throws std::invalid_argument for an
  // invalid metric or label name, or a name already used by another kind (or,
  // for a histogram, other bounds). The first HELP text of a family wins.
  Counter& AddCounter(const std::string& name, const std::string& help, Labels labels = {});
  Gauge& AddGauge(const std::string& name, const std::string& help, Labels labels = {});
  Histogram& AddHistogram(const std::string& name, const std::string& help,
                          std::vector<double> bounds, Labels labels = {});

  // Every family in registration order: HELP and TYPE lines, then one line
  // per series (histograms: cumulative _bucket lines with `le`, _sum, _count).
  std::string Render() const;

 private:
  struct Family;
  Family& FamilyFor(const std::string& name, const std::string& help, int kind,
                    const Labels& labels) DCP_REQUIRES(mutex_);

  mutable runtime::Mutex mutex_;
  std::vector<std::unique_ptr<Family>> families_ DCP_GUARDED_BY(mutex_);
};

// The content type of Render()'s output.
inline constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace dcp::metrics
