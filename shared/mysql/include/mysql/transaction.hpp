#pragma once
// Explicit transactions on a Session.
#include <chrono>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "mysql/session.hpp"
#include "ports/errors.hpp"
#include "runtime/retry.hpp"

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

// How RunTransaction retries a body that hits a deadlock or a lock wait
// timeout (the server rolled it back; running it again is safe): 3 tries, a
// short randomised pause between them, so that two colliding writers do not
// collide again.
inline constexpr runtime::BackoffPolicy kTransactionRetry{std::chrono::milliseconds(10),
                                                          std::chrono::milliseconds(40),
                                                          /*jitter=*/true, /*max_attempts=*/3};

// Runs body(session) in a transaction and commits, retrying the whole
// transaction on a deadlock or lock wait timeout. Returns what body returns.
// Other failures (a lost connection included, since the commit's fate is
// unknown) propagate at once.
template <class Body>
auto RunTransaction(Session& session, Body&& body) {
  return runtime::RetryOn<DbError>(
      [] { return runtime::Retry(kTransactionRetry); },
      [&] {
        Transaction tx(session);
        if constexpr (std::is_void_v<decltype(body(session))>) {
          body(session);
          tx.Commit();
        } else {
          auto result = body(session);
          tx.Commit();
          return result;
        }
      },
      [&session](const DbError& e) { return e.transient() && session.connected(); },
      [](const DbError&, std::chrono::milliseconds) {});
}

}  // namespace dcp::mysql
