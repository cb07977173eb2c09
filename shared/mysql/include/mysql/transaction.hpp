#pragma once
// Explicit transactions on a Session.
#include <cstdint>
#include <type_traits>
#include <utility>

#include "mysql/session.hpp"
#include "ports/errors.hpp"

namespace dcp::mysql {

// START TRANSACTION now; ROLLBACK on destruction unless Commit() ran. Commit
// throws a transient DbError if the connection was replaced meanwhile (the
// work was lost with the old connection, nothing is half-applied).
class Transaction {
 public:
  explicit Transaction(Session& session);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void Commit();

 private:
  Session& session_;
  std::uint64_t generation_;
  bool open_ = true;
};

// How often RunTransaction tries a body that hits a deadlock or a lock wait
// timeout (the server rolled it back; running it again is safe).
inline constexpr int kTransactionAttempts = 3;

// A short randomised pause, growing with the attempt.
void BackOffBeforeRetry(int attempt);

// Runs body(session) in a transaction and commits, retrying the whole
// transaction on a deadlock or lock wait timeout. Returns what body returns.
// Other failures (a lost connection included, since the commit's fate is
// unknown) propagate at once.
template <class Body>
auto RunTransaction(Session& session, Body&& body) {
  for (int attempt = 1;; ++attempt) {
    try {
      Transaction tx(session);
      if constexpr (std::is_void_v<decltype(body(session))>) {
        body(session);
        tx.Commit();
        return;
      } else {
        auto result = body(session);
        tx.Commit();
        return result;
      }
    } catch (const DbError& e) {
      if (!e.transient() || !session.connected() || attempt >= kTransactionAttempts) throw;
      BackOffBeforeRetry(attempt);
    }
  }
}

}  // namespace dcp::mysql
