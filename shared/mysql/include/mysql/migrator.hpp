#pragma once
// Applies the schema migrations of db/migrations/ (compiled in).
#include <chrono>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mysql/session.hpp"

namespace dcp::mysql {

// One file NNNN_name.sql. Its last statement must record it in
// schema_migrations as (version, name).
struct Migration {
  int version = 0;
  std::string_view name;
  std::string_view sql;
};

// The files of db/migrations/ at build time, by ascending version.
std::span<const Migration> EmbeddedMigrations();

// The statements of a migration file: a statement ends with ';' at the end
// of a line (trailing blanks allowed). Pieces holding only comments and
// blanks are dropped. So a file cannot hold a procedure or trigger body, and
// no line may end with ';' inside a statement or a comment. A statement
// holding the line "-- dcp-migrate: repeat while it changes rows" is run
// again by Migrate while it changes rows (a data move in batches; the mysql
// client, which runs it once, runs it on an empty table).
std::vector<std::string> SplitStatements(std::string_view sql);

struct MigratorOptions {
  // How long a migrate waits for another to finish.
  std::chrono::milliseconds lock_wait{std::chrono::seconds(60)};
  // The migrate lock's lease, renewed before each statement: longer than
  // any one statement can take (the session's read timeout, 120 s), so a
  // live migrate never loses it, and a dead one blocks the next for at most
  // this long.
  std::chrono::milliseconds lock_lease{std::chrono::minutes(10)};
};

struct MigrateResult {
  std::vector<int> applied;  // versions applied by this call, ascending
  int version = 0;           // the schema version now (highest recorded)
};

class Migrator {
 public:
  // `migrations` must be sorted by version and outlive the Migrator.
  explicit Migrator(std::span<const Migration> migrations = EmbeddedMigrations(),
                    MigratorOptions options = {});

  // Creates the lock table if it is missing (kLockTableDdl), then applies
  // the pending migrations in order, holding the migrate lock (a LeaseLock)
  // so that concurrent calls on one database, through any node of a
  // cluster, serialise: waits up to lock_wait, then a transient DbError.
  // Applying is not atomic (MySQL DDL commits): a file that fails half-way
  // needs an operator. Throws DbError, also when a file ran without
  // recording its own version; LockLostError if the lock was lost (its
  // lease ran out and another migrate took it over) before a statement.
  MigrateResult Migrate(Session& session);

 private:
  std::span<const Migration> migrations_;
  MigratorOptions options_;
};

}  // namespace dcp::mysql
