#include "mysql/lease_lock.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "mysql/migrator.hpp"

namespace dcp::mysql {
namespace {

// The statement's words, without its comment lines, one blank apart.
std::string Words(std::string_view sql) {
  std::istringstream lines{std::string(sql)};
  std::string line, out;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string word;
    if (!(words >> word) || word.starts_with("--")) continue;
    do {
      out += (out.empty() ? "" : " ") + word;
    } while (words >> word);
  }
  return out;
}

// Migrate makes the lock table before the migrations run, with its own copy
// of the statement: the two must not drift apart.
TEST(LockTable, MigrateCreatesItExactlyAsItsMigrationDoes) {
  const auto migrations = EmbeddedMigrations();
  const auto lock = std::find_if(migrations.begin(), migrations.end(),
                                 [](const Migration& m) { return m.name == "lock"; });
  ASSERT_NE(lock, migrations.end());
  const auto statements = SplitStatements(lock->sql);
  ASSERT_EQ(statements.size(), 2u);
  EXPECT_EQ(Words(statements[0]), Words(kLockTableDdl));
  EXPECT_NE(statements[1].find("VALUES (" + std::to_string(lock->version) + ", 'lock'"),
            std::string::npos);
}

// Nothing is sent for a lock that was never taken: the session's server
// (nothing listens on port 1) would fail any statement.
TEST(LeaseLock, ALockNeverTakenIsNotHeldAndTouchesNoServer) {
  Session nowhere(*MysqlUrl::Parse("mysql://u:p@127.0.0.1:1/db"));
  {
    LeaseLock lock(nowhere, "run", std::chrono::seconds(30));
    EXPECT_FALSE(lock.held());
    EXPECT_FALSE(lock.Renew());
    EXPECT_NO_THROW(lock.Release());
    EXPECT_EQ(lock.owner().size(), 36u);  // a UUID
  }
  EXPECT_FALSE(nowhere.connected());
}

TEST(LeaseLock, EachLockHasAnOwnerOfItsOwn) {
  Session nowhere(*MysqlUrl::Parse("mysql://u:p@127.0.0.1:1/db"));
  const LeaseLock a(nowhere, "run", std::chrono::seconds(30));
  const LeaseLock b(nowhere, "run", std::chrono::seconds(30));
  EXPECT_NE(a.owner(), b.owner());
}

}  // namespace
}  // namespace dcp::mysql
