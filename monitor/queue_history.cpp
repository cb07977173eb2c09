#include "monitor/queue_history.hpp"

#include "views/run_progress.hpp"

namespace dcp::monitor {

void QueueHistory::Add(SysSeconds at, std::int64_t depth) {
  samples_.push_back({at, depth});
  while (!samples_.empty() && samples_.front().at < at - window_) samples_.pop_front();
}

nlohmann::json QueueHistory::ToJson() const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : samples_) out.push_back({{"t", views::FormatUtc(s.at)}, {"depth", s.depth}});
  return out;
}

}  // namespace dcp::monitor
