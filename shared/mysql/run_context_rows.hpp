#pragma once
// A run's context in its tables (run_context, run_topology_chunk, and the
// job columns of run), written and read the same way by the run store (a
// leader's new run) and the task store (a worker's EnsureRunContext and
// LoadRunContext). The topology is opaque bytes in chunks that each fit
// the server's max_allowed_packet, with their sha256: read back, they are
// checked against it.
#include <optional>
#include <string>

#include "mysql/session.hpp"
#include "ports/run_context.hpp"

namespace dcp::mysql {

// Inserts the context of `run_id` (INSERT IGNORE: a context already there
// stays as it is). Inside the caller's transaction, if any.
void InsertRunContext(Session& session, const std::string& run_id, const RunContext& context);

// The context of `run_id`, if recorded: zone, topology, job name and hash.
// A topology that does not match its size or sha256 throws DbError (kData).
std::optional<RunContext> SelectRunContext(Session& session, const std::string& run_id);

}  // namespace dcp::mysql
