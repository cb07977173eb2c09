#include "run_context_rows.hpp"

#include <algorithm>

#include "job/job.hpp"
#include "ports/errors.hpp"

namespace dcp::mysql {
namespace {

// Room for the rest of a chunk's INSERT (its ids, the SQL text).
constexpr std::size_t kStatementRoom = 64 * 1024;
constexpr std::size_t kMaxChunk = std::size_t{16} << 20;

}  // namespace

void InsertRunContext(Session& session, const std::string& run_id, const RunContext& context) {
  const std::string& topology = context.topology;
  const std::size_t packet = session.max_allowed_packet();
  const std::size_t chunk =
      std::clamp(packet > 2 * kStatementRoom ? packet - kStatementRoom : kStatementRoom,
                 kStatementRoom, kMaxChunk);
  const auto inserted = session.Execute(
      "INSERT IGNORE INTO run_context (run_id, time_zone, topology, topology_bytes, "
      "topology_sha256) VALUES (?, ?, '', ?, ?)",
      {run_id, context.time_zone, Value{static_cast<std::int64_t>(topology.size())},
       job::Sha256Hex(topology)});
  if (inserted == 0) return;  // recorded already (another worker's EnsureRunContext)
  for (std::size_t at = 0, seq = 0; at < topology.size(); at += chunk, ++seq) {
    session.Execute("INSERT INTO run_topology_chunk (run_id, seq, chunk) VALUES (?, ?, ?)",
                    {run_id, Value{static_cast<std::int64_t>(seq)}, topology.substr(at, chunk)});
  }
}

std::optional<RunContext> SelectRunContext(Session& session, const std::string& run_id) {
  std::optional<RunContext> context;
  std::int64_t bytes = 0;
  std::string sha256;
  session.Query(
      "SELECT c.time_zone, c.topology_bytes, c.topology_sha256, r.job_name, r.job_sha256 "
      "FROM run_context c LEFT JOIN run r ON r.run_id = c.run_id WHERE c.run_id = ?",
      {run_id}, [&](const Row& r) {
        context = RunContext{r.String(0), {}};
        bytes = r.Int(1);
        sha256 = r.OptString(2).value_or("");
        context->job_name = r.OptString(3).value_or("");
        context->job_sha256 = r.OptString(4).value_or("");
      });
  if (!context) return context;
  context->topology.reserve(static_cast<std::size_t>(bytes));
  session.Query("SELECT chunk FROM run_topology_chunk WHERE run_id = ? ORDER BY seq", {run_id},
                [&](const Row& r) { context->topology += r.String(0); });
  if (static_cast<std::int64_t>(context->topology.size()) != bytes ||
      job::Sha256Hex(context->topology) != sha256) {
    throw DbError("mysql: the topology of run " + run_id + " does not match its recorded size (" +
                      std::to_string(bytes) + " bytes) and sha256",
                  DbErrorKind::kData);
  }
  return context;
}

}  // namespace dcp::mysql
