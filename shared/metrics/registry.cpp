#include "metrics/registry.hpp"

#include <stdexcept>

#include "text_format.hpp"

namespace dcp::metrics {
namespace {

enum Kind { kCounterKind, kGaugeKind, kHistogramKind };

const char* KindName(int kind) {
  switch (kind) {
    case kCounterKind:
      return "counter";
    case kGaugeKind:
      return "gauge";
    default:
      return "histogram";
  }
}

// {a="x",b="y"} with `extra` (the histogram's le) last; empty without labels.
std::string LabelText(const Labels& labels, const std::string& extra = {}) {
  if (labels.empty() && extra.empty()) return {};
  std::string out = "{";
  for (const auto& [name, value] : labels) {
    if (out.size() > 1) out += ',';
    out += name + "=\"" + text::EscapeLabelValue(value) + '"';
  }
  if (!extra.empty()) {
    if (out.size() > 1) out += ',';
    out += extra;
  }
  return out + "}";
}

}  // namespace

struct Registry::Family {
  std::string name;
  std::string help;
  int kind = kCounterKind;
  struct Series {
    Labels labels;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
  };
  std::vector<Series> series;

  Series* Find(const Labels& labels) {
    for (auto& s : series) {
      if (s.labels == labels) return &s;
    }
    return nullptr;
  }
};

Registry::Registry() = default;
Registry::~Registry() = default;

Registry::Family& Registry::FamilyFor(const std::string& name, const std::string& help, int kind,
                                      const Labels& labels) {
  if (!text::IsValidMetricName(name)) throw std::invalid_argument("invalid metric name: " + name);
  for (const auto& [label, value] : labels) {
    if (!text::IsValidLabelName(label) || (kind == kHistogramKind && label == "le")) {
      throw std::invalid_argument("invalid label name on " + name + ": " + label);
    }
  }
  for (auto& family : families_) {
    if (family->name != name) continue;
    if (family->kind != kind) {
      throw std::invalid_argument(name + " is already a " + KindName(family->kind));
    }
    return *family;
  }
  families_.push_back(std::make_unique<Family>());
  families_.back()->name = name;
  families_.back()->help = help;
  families_.back()->kind = kind;
  return *families_.back();
}

Counter& Registry::AddCounter(const std::string& name, const std::string& help, Labels labels) {
  runtime::MutexLock lock(mutex_);
  auto& family = FamilyFor(name, help, kCounterKind, labels);
  if (auto* existing = family.Find(labels)) return *existing->counter;
  family.series.push_back({std::move(labels), std::make_unique<Counter>(), nullptr, nullptr});
  return *family.series.back().counter;
}

Gauge& Registry::AddGauge(const std::string& name, const std::string& help, Labels labels) {
  runtime::MutexLock lock(mutex_);
  auto& family = FamilyFor(name, help, kGaugeKind, labels);
  if (auto* existing = family.Find(labels)) return *existing->gauge;
  family.series.push_back({std::move(labels), nullptr, std::make_unique<Gauge>(), nullptr});
  return *family.series.back().gauge;
}

Histogram& Registry::AddHistogram(const std::string& name, const std::string& help,
                                  std::vector<double> bounds, Labels labels) {
  auto histogram = std::make_unique<Histogram>(std::move(bounds));  // validates the bounds
  runtime::MutexLock lock(mutex_);
  auto& family = FamilyFor(name, help, kHistogramKind, labels);
  if (auto* existing = family.Find(labels)) {
    if (existing->histogram->bounds() != histogram->bounds()) {
      throw std::invalid_argument(name + " is already registered with other buckets");
    }
    return *existing->histogram;
  }
  family.series.push_back({std::move(labels), nullptr, nullptr, std::move(histogram)});
  return *family.series.back().histogram;
}

std::string Registry::Render() const {
  runtime::MutexLock lock(mutex_);
  std::string out;
  for (const auto& family : families_) {
    const auto& name = family->name;
    out += "# HELP " + name + ' ' + text::EscapeHelp(family->help) + '\n';
    out += "# TYPE " + name + ' ' + KindName(family->kind) + '\n';
    for (const auto& series : family->series) {
      if (series.counter) {
        out +=
            name + LabelText(series.labels) + ' ' + std::to_string(series.counter->Value()) + '\n';
      } else if (series.gauge) {
        out +=
            name + LabelText(series.labels) + ' ' + text::FormatValue(series.gauge->Value()) + '\n';
      } else {
        const auto snapshot = series.histogram->Collect();
        for (std::size_t i = 0; i < snapshot.cumulative.size(); ++i) {
          const std::string le = i < snapshot.bounds.size() ? text::FormatValue(snapshot.bounds[i])
                                                            : std::string("+Inf");
          out += name + "_bucket" + LabelText(series.labels, "le=\"" + le + '"') + ' ' +
                 std::to_string(snapshot.cumulative[i]) + '\n';
        }
        out +=
            name + "_sum" + LabelText(series.labels) + ' ' + text::FormatValue(snapshot.sum) + '\n';
        out += name + "_count" + LabelText(series.labels) + ' ' + std::to_string(snapshot.count()) +
               '\n';
      }
    }
  }
  return out;
}

}  // namespace dcp::metrics
