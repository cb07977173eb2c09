#pragma once
// Applies the schema migrations of db/migrations/ (compiled in).
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
// no line may end with ';' inside a statement or a comment.
std::vector<std::string> SplitStatements(std::string_view sql);

struct MigrateResult {
  std::vector<int> applied;  // versions applied by this call, ascending
  int version = 0;           // the schema version now (highest recorded)
};

class Migrator {
 public:
  // `migrations` must be sorted by version and outlive the Migrator.
  explicit Migrator(std::span<const Migration> migrations = EmbeddedMigrations());

  // Applies the pending migrations in order, holding a server lock so that
  // concurrent calls on one database serialise (waits up to 60 s, then a
  // transient DbError). Applying is not atomic (MySQL DDL commits): a file
  // that fails half-way needs an operator. Throws DbError, also when a file
  // ran without recording its own version.
  MigrateResult Migrate(Session& session);

 private:
  std::span<const Migration> migrations_;
};

}  // namespace dcp::mysql
