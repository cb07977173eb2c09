#pragma once
// The task message (v1), the contract between leader and workers:
//   {"run_id": UUID, "task_id": UUID, "selection": "1",
//    "start_date": "2023-01-01 00:00", "end_date": "2023-01-31 23:59"}
// Dates are local wall-clock minutes in the run's time zone, end inclusive.
// Unknown extra fields are ignored.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "domain/ids.hpp"
#include "domain/local_time.hpp"
#include "domain/result.hpp"

namespace dcp {

inline constexpr std::size_t kMaxMessageBytes = 64 * 1024;
inline constexpr std::size_t kMaxSelectionBytes = 255;

struct TaskMessage {
  RunId run_id;
  TaskId task_id;
  std::string selection;
  LocalMinute start;
  LocalMinute end;  // inclusive
};

// Decodes and validates. The reason of an Error is one short line naming the
// first problem (e.g. "field 'end_date': end before start").
Result<TaskMessage> DecodeTaskMessage(std::string_view body);

// Best effort on a malformed body: the task_id, if one can be read, so that a
// FAILED row can be recorded for it.
std::optional<TaskId> PeekTaskId(std::string_view body);
std::optional<RunId> PeekRunId(std::string_view body);

// Compact JSON, fields in the v1 order (run_id, task_id, selection,
// start_date, end_date). Precondition: selection is valid UTF-8 (invalid
// bytes would be replaced by U+FFFD).
std::string EncodeTaskMessage(const TaskMessage& m);

}  // namespace dcp
