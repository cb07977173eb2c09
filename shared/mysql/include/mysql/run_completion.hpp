#pragma once
// The one rule that completes a run, shared by every path that can end its
// last task (FinishTask, FailTask) or make it complete-able (MarkRunning).
#include <string>

#include "mysql/session.hpp"

namespace dcp::mysql {

// RUNNING -> FINISHED (or FAILED if any task failed, CANCELLED if any was
// cancelled) once every task of a run with a known task count has ended. One conditional UPDATE, so
// of several concurrent callers exactly one completes the run. Call it inside the transaction that
// counted the ending task. Returns true if this call did.
bool CompleteRunIfDone(Session& session, const std::string& run_id);

}  // namespace dcp::mysql
