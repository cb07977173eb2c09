#pragma once
// The domain's transition table (domain/task_status.hpp) as SQL text, for
// the stores' conditional UPDATEs: the statements name the states of the
// table, never literals of their own. The text of an event is the same on
// every call, so statements built from it at start-up stay prepared (and
// cached) statements.
#include <span>
#include <string>
#include <string_view>

#include "domain/task_status.hpp"

namespace dcp::mysql {

// The from-states of `event`: "task_status = 'STARTED'" or
// "task_status IN ('QUEUED', 'STARTED')".
std::string TaskStatusIn(TaskEvent event, std::string_view column = "task_status");
// The to-state of `event`: "task_status = 'FINISHED'".
std::string SetTaskStatus(TaskEvent event, std::string_view column = "task_status");

// "status IN ('PUBLISHING', 'RUNNING')" and the like.
std::string RunStatusIn(std::span<const RunStatus> statuses, std::string_view column = "status");
// The from-states of `event`.
std::string RunStatusIn(RunEvent event, std::string_view column = "status");
// A quoted SQL literal: 'RUNNING', 'QUEUED'.
std::string Quoted(RunStatus status);
std::string Quoted(TaskStatus status);
std::string Quoted(ExportStatus status);

}  // namespace dcp::mysql
