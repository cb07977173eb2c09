#include "mysql/lease_lock.hpp"

#include "domain/ids.hpp"
#include "mysql/transaction.hpp"
#include "runtime/retry.hpp"

namespace dcp::mysql {
namespace {

// The row becomes ours if it is new or its lease has expired, and our lease
// is set if it is ours now. Each right side reads only the row as it was
// and the parameters, so the result is the same whether the assignments
// see each other (MySQL, MariaDB) or not (MariaDB's SIMULTANEOUS_ASSIGNMENT).
// Parameters: name, owner, lease, owner, owner, lease.
constexpr std::string_view kTakeSql =
    "INSERT INTO dcp_lock (name, owner, acquired_at, expires_at) "
    "VALUES (?, ?, NOW(6), NOW(6) + INTERVAL ? MICROSECOND) "
    "ON DUPLICATE KEY UPDATE "
    "acquired_at = IF(expires_at < NOW(6), NOW(6), acquired_at), "
    "owner = IF(expires_at < NOW(6), ?, owner), "
    "expires_at = IF(expires_at < NOW(6) OR owner = ?, NOW(6) + INTERVAL ? MICROSECOND, "
    "expires_at)";
// A locking read: the newest committed row, whatever the transaction's snapshot.
constexpr std::string_view kOwnerSql = "SELECT owner FROM dcp_lock WHERE name = ? FOR UPDATE";
constexpr std::string_view kRenewSql =
    "UPDATE dcp_lock SET expires_at = NOW(6) + INTERVAL ? MICROSECOND "
    "WHERE name = ? AND owner = ?";
constexpr std::string_view kReleaseSql = "DELETE FROM dcp_lock WHERE name = ? AND owner = ?";

// How Acquire polls a lock held by another.
constexpr runtime::BackoffPolicy kPolling{std::chrono::milliseconds(50), std::chrono::seconds(1),
                                          /*jitter=*/true};

Value Micros(std::chrono::milliseconds d) {
  return Value{std::chrono::duration_cast<std::chrono::microseconds>(d).count()};
}

}  // namespace

LeaseLock::LeaseLock(Session& session, std::string name, std::chrono::milliseconds lease)
    : session_(session), name_(std::move(name)), owner_(Uuid::Random().ToString()), lease_(lease) {}

LeaseLock::~LeaseLock() {
  try {
    Release();
  } catch (const DbError&) {  // NOLINT(bugprone-empty-catch): the lease ends by itself
  }
}

bool LeaseLock::Acquire(std::chrono::milliseconds wait) {
  if (held()) return true;
  runtime::BackoffPolicy polling = kPolling;
  polling.deadline = wait;
  runtime::Retry retry(polling);
  while (!TryTake()) {
    if (retry.AfterFailure() != runtime::Retry::Verdict::kTryAgain) return false;
  }
  return true;
}

bool LeaseLock::TryTake() {
  const auto sent = Clock::now();
  may_hold_ = true;
  bool ours = false;
  try {
    ours = RunTransaction(session_, [&](Session& s) {
      s.Execute(kTakeSql, {name_, owner_, Micros(lease_), owner_, owner_, Micros(lease_)});
      return s.QueryString(kOwnerSql, {name_}) == owner_;
    });
  } catch (const DbError& e) {
    // Conflicts beyond the transaction's retries: others are taking it now.
    if (e.kind() != DbErrorKind::kConflict) throw;
  }
  if (ours) Trust(sent);
  return ours;
}

bool LeaseLock::Renew() { return Renew(session_); }

bool LeaseLock::Renew(Session& through) {
  if (!held()) return false;
  const auto sent = Clock::now();
  const auto matched = RunTransaction(through, [&](Session& s) {
    return s.Execute(kRenewSql, {Micros(lease_), name_, owner_});
  });
  if (matched == 0) {
    trusted_until_.store(0);
    return false;
  }
  Trust(sent);
  return true;
}

void LeaseLock::Release() {
  trusted_until_.store(0);
  if (!may_hold_) return;
  RunTransaction(session_, [&](Session& s) { s.Execute(kReleaseSql, {name_, owner_}); });
  may_hold_ = false;
}

bool LeaseLock::held() const {
  return Clock::now().time_since_epoch().count() < trusted_until_.load();
}

void LeaseLock::Trust(Clock::time_point sent) {
  trusted_until_.store((sent + lease_ * 2 / 3).time_since_epoch().count());
}

}  // namespace dcp::mysql
