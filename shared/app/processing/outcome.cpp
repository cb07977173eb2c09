#include "processing/outcome.hpp"

#include <utility>

namespace dcp::processing {

void Outcome::Recorded(bool counted) {
  decision = Acked{counted ? Acked::Kind::kFinished : Acked::Kind::kDuplicate, {}};
}

Outcome Outcome::NotRecorded(std::string_view error, std::optional<TaskId> task, int attempt) {
  return Outcome{DeadLetter{DeadLetter::Kind::kNotRecorded, "not recorded: " + std::string(error)},
                 std::move(task), attempt};
}

}  // namespace dcp::processing
