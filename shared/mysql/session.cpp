#include "mysql/session.hpp"

#include <cppconn/connection.h>
#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <mysql_connection.h>
#include <mysql_driver.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <unordered_map>

#include "mysql/error_class.hpp"
#include "ports/errors.hpp"

namespace dcp::mysql {
namespace {

// Every session runs with UTC timestamps (NOW() fills the *_at columns) and
// the same strict SQL mode on MySQL 8 and MariaDB.
constexpr const char* kSessionSetup =
    "SET SESSION time_zone = '+00:00', sql_mode = "
    "'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO,"
    "NO_ENGINE_SUBSTITUTION'";

// Prepared statements kept per connection; beyond this the cache restarts
// (statements whose text varies go by ExecuteInline, not cached).
constexpr std::size_t kMaxCachedStatements = 64;

// A statement of this size is refused before it is sent when it is within
// this much of max_allowed_packet: the packet also holds the command byte,
// the statement id and per-parameter headers.
constexpr std::size_t kPacketHeadroom = 4096;

// The size of a prepared statement's execute packet, about.
std::size_t PreparedSize(std::string_view sql, const std::vector<Value>& params) {
  std::size_t bytes = sql.size();
  for (const Value& v : params) {
    const auto* text = std::get_if<std::string>(&v);
    bytes += 9 + (text ? text->size() : 0);
  }
  return bytes;
}

std::string OneLine(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  std::replace(text.begin(), text.end(), '\r', ' ');
  return text;
}

// The statement with each '?' replaced by its parameter as a literal,
// strings escaped for the connection's character set.
std::string BindInline(sql::mysql::MySQL_Connection& conn, std::string_view sql,
                       const std::vector<Value>& params) {
  std::string out;
  std::size_t next = 0;
  for (char c : sql) {
    if (c != '?') {
      out.push_back(c);
      continue;
    }
    if (next >= params.size()) throw sql::SQLException("too few parameters", "HY000", 0);
    const Value& v = params[next++];
    if (std::holds_alternative<std::nullptr_t>(v)) {
      out += "NULL";
    } else if (const auto* n = std::get_if<std::int64_t>(&v)) {
      out += std::to_string(*n);
    } else {
      out += "'" + conn.escapeString(std::get<std::string>(v)).asStdString() + "'";
    }
  }
  if (next != params.size()) throw sql::SQLException("too many parameters", "HY000", 0);
  return out;
}

std::atomic<SessionObserver*> g_observer{nullptr};

class ResultRow final : public Row {
 public:
  explicit ResultRow(sql::ResultSet& rs) : rs_(rs) {}
  bool IsNull(unsigned column) const override { return rs_.isNull(column + 1); }
  std::string String(unsigned column) const override { return rs_.getString(column + 1); }
  std::int64_t Int(unsigned column) const override { return rs_.getInt64(column + 1); }

 private:
  sql::ResultSet& rs_;
};

}  // namespace

std::optional<std::string> Row::OptString(unsigned column) const {
  if (IsNull(column)) return std::nullopt;
  return String(column);
}

std::optional<std::int64_t> Row::OptInt(unsigned column) const {
  if (IsNull(column)) return std::nullopt;
  return Int(column);
}

void SetSessionObserver(SessionObserver* observer) { g_observer = observer; }

class Session::Impl {
 public:
  Impl(MysqlNodes nodes, SessionOptions options) : nodes_(std::move(nodes)), options_(options) {
    if (nodes_.empty()) throw DbError("mysql: no node configured", DbErrorKind::kOther);
  }

  // Runs `op` on the live connection, translating connector failures.
  template <class Op>
  auto Run(std::string_view sql, Op&& op) {
    try {
      return op(Connection());
    } catch (const sql::SQLException& e) {
      Fail(e, sql);
    }
  }

  sql::PreparedStatement& Prepare(sql::Connection& conn, std::string_view sql,
                                  const std::vector<Value>& params) {
    auto it = statements_.find(std::string(sql));
    if (it == statements_.end()) {
      if (statements_.size() >= kMaxCachedStatements) statements_.clear();
      std::unique_ptr<sql::PreparedStatement> stmt(conn.prepareStatement(std::string(sql)));
      it = statements_.emplace(std::string(sql), std::move(stmt)).first;
    }
    sql::PreparedStatement& stmt = *it->second;
    for (unsigned i = 0; i < params.size(); ++i) {
      const Value& v = params[i];
      if (std::holds_alternative<std::nullptr_t>(v)) {
        stmt.setNull(i + 1, 0);
      } else if (const auto* n = std::get_if<std::int64_t>(&v)) {
        stmt.setInt64(i + 1, *n);
      } else {
        stmt.setString(i + 1, std::get<std::string>(v));
      }
    }
    return stmt;
  }

  // `failed`: the node failed us, the next connection starts at the next one.
  void Drop(bool failed = false) {
    statements_.clear();
    if (conn_) {
      try {
        conn_->close();
      } catch (const sql::SQLException&) {
        // Already gone: nothing to release.
      }
      if (observer_ != nullptr) observer_->Disconnected(url());
      observer_ = nullptr;
      if (failed) node_ = (node_ + 1) % nodes_.size();
    }
    conn_.reset();
  }

  // Refuses a statement of `bytes` that the server would refuse (error 1153,
  // and the connection closed, sometimes before the error can be read):
  // never sent, a kData DbError.
  void CheckPacket(std::size_t bytes) const {
    if (bytes + kPacketHeadroom <= max_allowed_packet_) return;
    throw DbError("mysql " + url().Endpoint() + ": a statement of " + std::to_string(bytes) +
                      " bytes is over the server's max_allowed_packet (" +
                      std::to_string(max_allowed_packet_) + " bytes)",
                  DbErrorKind::kData);
  }

  std::size_t max_allowed_packet() {
    return Run("", [this](sql::Connection&) { return max_allowed_packet_; });
  }

  bool connected() const { return conn_ != nullptr; }
  std::uint64_t generation() const { return generation_; }
  const MysqlUrl& url() const { return nodes_[node_]; }
  MysqlNodes NodesFromCurrent() const {
    MysqlNodes from;
    from.reserve(nodes_.size());
    for (std::size_t i = 0; i < nodes_.size(); ++i)
      from.push_back(nodes_[(node_ + i) % nodes_.size()]);
    return from;
  }

 private:
  sql::Connection& Connection() {
    if (!conn_) Connect();
    return *conn_;
  }

  // Tries every node once, from node_: the first that answers is kept. A
  // node that refuses (bad password, unknown database) fails at once.
  void Connect() {
    std::string unavailable;
    for (std::size_t tried = 0; tried < nodes_.size(); ++tried) {
      try {
        ConnectTo(url());
        if (generation_ > 1 || node_ != 0) {
          spdlog::info("mysql: connected to {} (node {} of {})", url().Endpoint(), node_ + 1,
                       nodes_.size());
        }
        observer_ = g_observer.load();  // told of this connection's end too
        if (observer_ != nullptr) observer_->Connected(url());
        return;
      } catch (const sql::SQLException& e) {
        const bool down =
            ClassifyError(e.getErrorCode(), e.getSQLState()) == DbErrorKind::kUnavailable;
        if (!down || nodes_.size() == 1) throw;  // Fail() names this node
        spdlog::warn("mysql: {} unavailable ({}); trying the next node", url().Endpoint(),
                     OneLine(e.what()));
        unavailable +=
            (unavailable.empty() ? "" : "; ") + url().Endpoint() + ": " + OneLine(e.what());
        node_ = (node_ + 1) % nodes_.size();
      }
    }
    throw DbError("mysql: none of the " + std::to_string(nodes_.size()) + " nodes answered (" +
                      unavailable + ")",
                  DbErrorKind::kUnavailable);
  }

  void ConnectTo(const MysqlUrl& url) {
    sql::ConnectOptionsMap opts;
    opts["hostName"] = url.host;
    opts["port"] = static_cast<int>(url.port);
    opts["userName"] = url.user;
    opts["password"] = url.password;
    opts["schema"] = url.database;
    opts["OPT_CONNECT_TIMEOUT"] = static_cast<int>(options_.connect_timeout.count());
    opts["OPT_READ_TIMEOUT"] = static_cast<int>(options_.read_timeout.count());
    opts["OPT_WRITE_TIMEOUT"] = static_cast<int>(options_.write_timeout.count());
    opts["OPT_RECONNECT"] = false;     // a silent reconnect would lose locks mid-transaction
    opts["CLIENT_FOUND_ROWS"] = true;  // affected rows = rows matched
    opts["OPT_CHARSET_NAME"] = "utf8mb4";
    if (url.tls) {  // TLS or no connection; the chain and the host name verified
      opts["sslEnforce"] = true;
      opts["sslVerify"] = true;
      if (!url.ca_file.empty()) opts["sslCA"] = url.ca_file;
    }
    std::unique_ptr<sql::Connection> conn(sql::mysql::get_mysql_driver_instance()->connect(opts));
    std::unique_ptr<sql::Statement> setup(conn->createStatement());
    setup->execute(kSessionSetup);
    std::unique_ptr<sql::ResultSet> packet(setup->executeQuery("SELECT @@max_allowed_packet"));
    max_allowed_packet_ = packet->next() ? static_cast<std::size_t>(packet->getUInt64(1)) : 0;
    conn_ = std::move(conn);
    ++generation_;
  }

  [[noreturn]] void Fail(const sql::SQLException& e, std::string_view sql) {
    const DbErrorKind kind = ClassifyError(e.getErrorCode(), e.getSQLState());
    // The server closes the connection after a too big packet (1153).
    const std::string endpoint = url().Endpoint();  // before Drop() moves on
    if (kind == DbErrorKind::kUnavailable || e.getErrorCode() == 1153) {
      Drop(/*failed=*/kind == DbErrorKind::kUnavailable);
    }
    std::string message = "mysql " + endpoint + ": " + OneLine(e.what()) + " [" +
                          std::to_string(e.getErrorCode()) + "]";
    if (!sql.empty()) {
      constexpr std::size_t kMaxSqlInMessage = 60;
      message += " in: " + OneLine(std::string(sql.substr(0, kMaxSqlInMessage)));
    }
    throw DbError(message, kind);
  }

  MysqlNodes nodes_;
  std::size_t node_ = 0;                 // in use, or tried next
  SessionObserver* observer_ = nullptr;  // told of the open connection
  SessionOptions options_;
  std::uint64_t generation_ = 0;
  std::size_t max_allowed_packet_ = 0;  // the server's, read on connecting
  std::unique_ptr<sql::Connection> conn_;
  // Destroyed before conn_ (statements belong to the connection).
  std::unordered_map<std::string, std::unique_ptr<sql::PreparedStatement>> statements_;
};

Session::Session(MysqlNodes nodes, SessionOptions options)
    : impl_(std::make_unique<Impl>(std::move(nodes), options)) {}

Session::~Session() { impl_->Drop(); }

std::uint64_t Session::Execute(std::string_view sql, const std::vector<Value>& params) {
  return impl_->Run(sql, [&](sql::Connection& conn) -> std::uint64_t {
    impl_->CheckPacket(PreparedSize(sql, params));
    if (params.empty()) {
      std::unique_ptr<sql::Statement> stmt(conn.createStatement());
      stmt->execute(std::string(sql));
      return stmt->getUpdateCount();
    }
    const int rows = impl_->Prepare(conn, sql, params).executeUpdate();
    return rows < 0 ? 0 : static_cast<std::uint64_t>(rows);
  });
}

namespace {

void Visit(sql::ResultSet* raw, const RowVisitor& row) {
  std::unique_ptr<sql::ResultSet> rs(raw);
  ResultRow current(*rs);
  while (rs->next()) row(current);
}

}  // namespace

void Session::Query(std::string_view sql, const std::vector<Value>& params, const RowVisitor& row) {
  impl_->Run(sql, [&](sql::Connection& conn) {
    if (params.empty()) {
      std::unique_ptr<sql::Statement> stmt(conn.createStatement());
      Visit(stmt->executeQuery(std::string(sql)), row);
      return;
    }
    Visit(impl_->Prepare(conn, sql, params).executeQuery(), row);
  });
}

void Session::Stream(std::string_view sql, const std::vector<Value>& params,
                     const RowVisitor& row) {
  impl_->Run(sql, [&](sql::Connection& conn) {
    // Connector/C++ 1.1 buffers every prepared result, so a streamed query
    // goes as text with its parameters escaped by the client library.
    std::unique_ptr<sql::Statement> stmt(conn.createStatement());
    stmt->setResultSetType(sql::ResultSet::TYPE_FORWARD_ONLY);
    Visit(stmt->executeQuery(
              BindInline(static_cast<sql::mysql::MySQL_Connection&>(conn), sql, params)),
          row);
  });
}

std::uint64_t Session::ExecuteInline(std::string_view sql, const std::vector<Value>& params) {
  return impl_->Run(sql, [&](sql::Connection& conn) -> std::uint64_t {
    const std::string text =
        BindInline(static_cast<sql::mysql::MySQL_Connection&>(conn), sql, params);
    impl_->CheckPacket(text.size());
    std::unique_ptr<sql::Statement> stmt(conn.createStatement());
    stmt->execute(text);
    return stmt->getUpdateCount();
  });
}

void Session::QueryInline(std::string_view sql, const std::vector<Value>& params,
                          const RowVisitor& row) {
  impl_->Run(sql, [&](sql::Connection& conn) {
    std::unique_ptr<sql::Statement> stmt(conn.createStatement());
    Visit(stmt->executeQuery(
              BindInline(static_cast<sql::mysql::MySQL_Connection&>(conn), sql, params)),
          row);
  });
}

std::optional<std::int64_t> Session::QueryInt(std::string_view sql,
                                              const std::vector<Value>& params) {
  std::optional<std::int64_t> out;
  bool first = true;
  Query(sql, params, [&](const Row& r) {
    if (first && !r.IsNull(0)) out = r.Int(0);
    first = false;
  });
  return out;
}

std::optional<std::string> Session::QueryString(std::string_view sql,
                                                const std::vector<Value>& params) {
  std::optional<std::string> out;
  bool first = true;
  Query(sql, params, [&](const Row& r) {
    if (first && !r.IsNull(0)) out = r.String(0);
    first = false;
  });
  return out;
}

void Session::Disconnect() { impl_->Drop(); }
std::size_t Session::max_allowed_packet() { return impl_->max_allowed_packet(); }
bool Session::connected() const { return impl_->connected(); }
std::uint64_t Session::generation() const { return impl_->generation(); }
const MysqlUrl& Session::url() const { return impl_->url(); }
MysqlNodes Session::NodesFromCurrent() const { return impl_->NodesFromCurrent(); }

}  // namespace dcp::mysql
