#include "mysql/migrator.hpp"

#include <algorithm>
#include <set>

#include "mysql/lease_lock.hpp"
#include "ports/errors.hpp"

namespace dcp::mysql {
namespace {

std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// True if the piece holds something besides blanks and "--" comment lines.
bool HasCode(std::string_view piece) {
  std::size_t pos = 0;
  while (pos < piece.size()) {
    std::size_t end = piece.find('\n', pos);
    if (end == std::string_view::npos) end = piece.size();
    std::string_view line = piece.substr(pos, end - pos);
    const auto first = line.find_first_not_of(" \t\r");
    if (first != std::string_view::npos && !line.substr(first).starts_with("--")) return true;
    pos = end + 1;
  }
  return false;
}

std::string Seconds(std::chrono::milliseconds d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count());
}

// A statement marked so (a line of its own, within the statement) is run
// again while it changes rows: a data move in batches, each one statement.
constexpr std::string_view kRepeatMarker = "-- dcp-migrate: repeat while it changes rows";

std::set<int> AppliedVersions(Session& session) {
  std::set<int> versions;
  const auto has_table = session.QueryInt(
      "SELECT COUNT(*) FROM information_schema.tables "
      "WHERE table_schema = DATABASE() AND table_name = 'schema_migrations'");
  if (has_table.value_or(0) == 0) return versions;
  session.Query("SELECT version FROM schema_migrations", {},
                [&](const Row& r) { versions.insert(static_cast<int>(r.Int(0))); });
  return versions;
}

}  // namespace

std::vector<std::string> SplitStatements(std::string_view sql) {
  std::vector<std::string> statements;
  std::string current;
  std::size_t pos = 0;
  while (pos < sql.size()) {
    std::size_t end = sql.find('\n', pos);
    if (end == std::string_view::npos) end = sql.size();
    const std::string_view line = TrimRight(sql.substr(pos, end - pos));
    pos = end + 1;
    if (!line.ends_with(';')) {
      current.append(line).push_back('\n');
      continue;
    }
    current.append(line.substr(0, line.size() - 1));
    if (HasCode(current)) statements.push_back(current);
    current.clear();
  }
  if (HasCode(current)) statements.push_back(current);
  return statements;
}

Migrator::Migrator(std::span<const Migration> migrations, MigratorOptions options)
    : migrations_(migrations), options_(options) {}

MigrateResult Migrator::Migrate(Session& session) {
  session.Execute(kLockTableDdl);  // the first migrate of a database: a table to lock in
  LeaseLock lock(session, "migrate", options_.lock_lease);
  if (!lock.Acquire(options_.lock_wait)) {
    throw DbError("mysql " + session.url().Endpoint() + ": another migrate held the lock for " +
                      Seconds(options_.lock_wait) + " s (dcp_lock 'migrate')",
                  true);
  }
  MigrateResult result;
  std::set<int> applied = AppliedVersions(session);
  for (const Migration& m : migrations_) {
    if (applied.contains(m.version)) continue;
    for (const std::string& statement : SplitStatements(m.sql)) {
      const bool repeat = statement.find(kRepeatMarker) != std::string::npos;
      std::uint64_t changed = 0;
      do {
        if (!lock.Renew()) {
          throw LockLostError("migrate: lost the migrate lock (its lease of " +
                              Seconds(options_.lock_lease) +
                              " s ran out, or another migrate took it over) in migration " +
                              std::to_string(m.version) + " '" + std::string(m.name) +
                              "': stopped before its next statement");
        }
        changed = session.Execute(statement);
      } while (repeat && changed > 0);
    }
    const auto recorded = session.QueryInt(
        "SELECT COUNT(*) FROM schema_migrations WHERE version = ?", {Value{m.version}});
    if (recorded.value_or(0) == 0) {
      throw DbError("migration " + std::to_string(m.version) + " '" + std::string(m.name) +
                        "' ran but did not record itself in schema_migrations",
                    false);
    }
    result.applied.push_back(m.version);
    applied.insert(m.version);
  }
  result.version = applied.empty() ? 0 : *applied.rbegin();
  return result;
}

}  // namespace dcp::mysql
