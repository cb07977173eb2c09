#pragma once
// One connection to the MySQL server, opened lazily, with parameterised
// statements. Connector/C++ stays behind this interface.
//
// Threading: a Session is used by one thread at a time. A thread other than
// the one that called InitDriver() must hold a DriverThread (driver.hpp)
// while it uses sessions.
//
// Failures: every method throws DbError, whose message is one line naming
// the server as host:port (never the password) and whose kind is the
// error's class (mysql/error_class.hpp). A statement larger than the
// server's max_allowed_packet is refused before it is sent (kData). After a
// connection error the connection is dropped and the next call opens a new
// one; session state (a transaction) is gone.
//
// Nodes: a session connects to the first of its nodes that answers, trying
// them in turn; after a connection error it starts from the node after the
// failed one, so that it moves on (Galera: all writes of a session go
// through one node at a time, docs/design.md says why).
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "mysql/mysql_url.hpp"

namespace dcp::mysql {

struct SessionOptions {
  // An unreachable server fails fast instead of holding a worker.
  std::chrono::seconds connect_timeout{5};
  // Bounds a wait on a dead server; must exceed the longest statement
  // (a 100k-task CreateRun, a migration's DDL). The migrate lock's lease
  // (MigratorOptions) counts on it.
  std::chrono::seconds read_timeout{120};
  std::chrono::seconds write_timeout{120};
};

// A statement parameter: NULL, an integer or a string (also dates, as
// "YYYY-MM-DD HH:MM[:SS]").
using Value = std::variant<std::nullptr_t, std::int64_t, std::string>;

// The current row of a result, valid only inside the visitor. Columns are
// numbered from 0.
class Row {
 public:
  virtual ~Row() = default;
  virtual bool IsNull(unsigned column) const = 0;
  virtual std::string String(unsigned column) const = 0;
  virtual std::int64_t Int(unsigned column) const = 0;
  std::optional<std::string> OptString(unsigned column) const;
  std::optional<std::int64_t> OptInt(unsigned column) const;
};
using RowVisitor = std::function<void(const Row&)>;

// Told about every connection a session opens and closes, from the thread
// using the session: the process's metrics of the node in use.
class SessionObserver {
 public:
  virtual ~SessionObserver() = default;
  virtual void Connected(const MysqlUrl& node) = 0;
  virtual void Disconnected(const MysqlUrl& node) = 0;
};
// Process-wide. A connection is reported to the observer set when it
// opened, its end included: that observer must outlive it. nullptr: none.
void SetSessionObserver(SessionObserver* observer);

class Session {
 public:
  explicit Session(MysqlNodes nodes, SessionOptions options = {});
  explicit Session(MysqlUrl url, SessionOptions options = {})
      : Session(MysqlNodes{std::move(url)}, options) {}
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Runs one statement; returns the rows it matched (not only those it
  // changed: a conditional UPDATE returns 1 when its WHERE holds).
  // Statements without parameters go as text (DDL, START TRANSACTION...).
  std::uint64_t Execute(std::string_view sql, const std::vector<Value>& params = {});

  // Runs a query and calls `row` for each row. The result is read into
  // memory first, so `row` may use this session.
  void Query(std::string_view sql, const std::vector<Value>& params, const RowVisitor& row);
  // As Query, but rows are read from the server one by one as `row` runs:
  // memory stays flat for any result size; `row` must not use this session.
  // The parameters are escaped into the text (the connector cannot stream a
  // prepared statement), so `sql` must hold no '?' other than placeholders.
  void Stream(std::string_view sql, const std::vector<Value>& params, const RowVisitor& row);

  // As Execute and Query, with the parameters escaped into the text instead
  // of a prepared statement: for statements whose shape varies (lists of any
  // length), each of which would otherwise hold a cached prepared statement
  // and its buffers. Same rule for '?' as Stream.
  std::uint64_t ExecuteInline(std::string_view sql, const std::vector<Value>& params);
  void QueryInline(std::string_view sql, const std::vector<Value>& params, const RowVisitor& row);

  // The first column of the first row; nullopt if no row or NULL.
  std::optional<std::int64_t> QueryInt(std::string_view sql, const std::vector<Value>& params = {});
  std::optional<std::string> QueryString(std::string_view sql,
                                         const std::vector<Value>& params = {});

  // The server's max_allowed_packet, in bytes (connects if need be).
  std::size_t max_allowed_packet();
  // Closes the connection (if any); the next call reconnects.
  void Disconnect();
  bool connected() const;
  // Changes each time a new connection is opened: a transaction or a named
  // lock belongs to one generation.
  std::uint64_t generation() const;
  // The node in use (or the one tried next).
  const MysqlUrl& url() const;
  // Every node, from the one in use (or tried next) on: for another session
  // that should start where this one is and fail over as it would.
  MysqlNodes NodesFromCurrent() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dcp::mysql
