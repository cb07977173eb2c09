#pragma once
// Test hooks, in one place: a failpoint is a named point in the code where
// a test can make the process die (SIGKILL) exactly there, instead of hoping
// a random kill lands at the right moment. Production code only ever calls
// CrashIf / Value; a failpoint is armed only through the hidden flags of the
// binaries (their config loaders call Arm before any thread starts), so
// nothing else needs a test-only setting.
//
// Failpoints of dcp:
//   worker.crash-before-ack              after a task's FINISHED is committed, before its ack
//   worker.crash-on-selection=SELECTION  when computing a task of that selection
//   leader.crash-after-batches=N         after N confirmed publish batches (of 100 messages)
//   leader.pause-per-batch-ms=MS         a pause after each confirmed publish batch (of 100)
//   dead.crash-before-ack                dcp dead replay: tasks published, their letters not acked
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dcp::failpoint {

// A failpoint to arm, as a config loader finds it on the command line.
struct Armed {
  std::string name;
  std::string value;  // may be empty
  bool operator==(const Armed&) const = default;
};

// Arms `name` (with `value`, which may be empty). Not thread-safe: call from
// main before starting threads.
void Arm(std::string name, std::string value = {});
void Arm(const std::vector<Armed>& failpoints);
// The value of an armed failpoint, nullopt if it is not armed. Thread-safe
// once arming is over.
std::optional<std::string_view> Value(std::string_view name);
// SIGKILLs the process if `name` is armed.
void CrashIf(std::string_view name);

}  // namespace dcp::failpoint
