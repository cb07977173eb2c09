#pragma once
// The task queue's depth over the last minutes, for the page's chart.
// Not thread-safe: owned by the monitor's backend thread.
#include <chrono>
#include <cstdint>
#include <deque>
#include <nlohmann/json.hpp>

#include "domain/local_time.hpp"

namespace dcp::monitor {

class QueueHistory {
 public:
  explicit QueueHistory(std::chrono::seconds window = std::chrono::minutes(10)) : window_(window) {}

  // Records a sample and forgets those older than the window before `at`.
  void Add(SysSeconds at, std::int64_t depth);
  // [{"t": "2024-...Z", "depth": n}, ...], oldest first.
  nlohmann::json ToJson() const;
  std::size_t size() const { return samples_.size(); }

 private:
  struct Sample {
    SysSeconds at;
    std::int64_t depth;
  };
  std::chrono::seconds window_;
  std::deque<Sample> samples_;
};

}  // namespace dcp::monitor
