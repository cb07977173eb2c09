#pragma once
// The task message (v1), the contract between leader and workers:
//   {"run_id": UUID, "task_id": UUID, "selection": "1",
//    "start_date": "2023-01-01 00:00", "end_date": "2023-01-31 23:59"}
// plus, for a selection the workload step gave params, "params": {...}.
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
// A task's params (compact JSON): well inside kMaxMessageBytes.
inline constexpr std::size_t kMaxParamsBytes = 16 * 1024;

struct TaskMessage {
  RunId run_id;
  TaskId task_id;
  std::string selection;
  LocalMinute start;
  LocalMinute end;       // inclusive
  std::string params{};  // a JSON object, compact; empty: none
};

// Decodes and validates. The reason of an Error is one short line naming the
// first problem (e.g. "field 'end_date': end before start").
Result<TaskMessage> DecodeTaskMessage(std::string_view body);

// Best effort on a malformed body: its task_id and run_id, if they can be
// read, so that a FAILED row can be recorded for the task. One pass over at
// most the first kMaxMessageBytes of the body (an oversized one is never
// parsed whole), storing nothing but the two ids: the top-level fields as a
// SAX parse reads them, or, where the body stops being JSON before them, as
// text. For a body that decodes, the ids Decode gives.
struct PeekedIds {
  std::optional<TaskId> task;
  std::optional<RunId> run;
};
PeekedIds PeekIds(std::string_view body);

// Compact JSON, fields in the v1 order (run_id, task_id, selection,
// start_date, end_date), then params if any (spliced in as they are: the
// leader's own, checked compact JSON). Precondition: selection is valid UTF-8 (invalid
// bytes would be replaced by U+FFFD).
std::string EncodeTaskMessage(const TaskMessage& m);

}  // namespace dcp
