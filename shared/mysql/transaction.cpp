#include "mysql/transaction.hpp"

namespace dcp::mysql {

Transaction::Transaction(Session& session) : session_(session), generation_(0) {
  session_.Execute("START TRANSACTION");
  generation_ = session_.generation();
}

Transaction::~Transaction() {
  if (!open_ || !session_.connected() || session_.generation() != generation_) return;
  try {
    session_.Execute("ROLLBACK");
  } catch (const DbError&) {
    // The connection failed: the server rolls back when it notices.
  }
}

void Transaction::Commit() {
  if (!session_.connected() || session_.generation() != generation_) {
    open_ = false;
    throw DbError("mysql " + session_.url().Endpoint() + ": connection lost during a transaction",
                  true);
  }
  session_.Execute("COMMIT");
  open_ = false;
}

}  // namespace dcp::mysql
