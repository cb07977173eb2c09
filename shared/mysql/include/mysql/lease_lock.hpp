#pragma once
// A named lock that holds across a database cluster: a lease row in
// dcp_lock (migration 0009), not GET_LOCK, which each node of a Galera
// cluster keeps to itself. The holder is the row's owner until its lease
// ends (expires_at, on the database's clock, so the clients' clocks do not
// matter); it renews the lease while it works and deletes the row when done.
// A holder that dies keeps the lock until its lease ends, then the next one
// takes it over. Two holders taking it at once through two nodes collide at
// commit (Galera's certification, error 1213); RunTransaction runs the loser
// again, which then sees the winner's row.
//
// Threading: Acquire and Release on one thread. Renew(through) may run on
// another thread (with a session of its own) while the lock is held, but not
// at the same time as Acquire or Release. held() is thread-safe.
#include <atomic>
#include <chrono>
#include <string>
#include <string_view>

#include "mysql/session.hpp"

namespace dcp::mysql {

// The lock table, as migration 0009 creates it. Migrator runs it before it
// takes its own lock, so that the first migrate of an empty database has a
// table to lock in. Idempotent (IF NOT EXISTS).
inline constexpr std::string_view kLockTableDdl =
    "CREATE TABLE IF NOT EXISTS dcp_lock (\n"
    "  name VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,\n"
    "  owner VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,\n"
    "  acquired_at DATETIME(6) NOT NULL,\n"
    "  expires_at DATETIME(6) NOT NULL\n"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";

class LeaseLock {
 public:
  using Clock = std::chrono::steady_clock;

  // `session` must outlive the lock. `name` is the lock's row (at most 128
  // ASCII characters); `lease` how long the lock outlives its holder's last
  // renewal. The owner id is drawn here (a random UUID) and kept for the
  // lock's life: an Acquire whose commit was lost with the connection finds
  // its own row on the next try.
  LeaseLock(Session& session, std::string name, std::chrono::milliseconds lease);
  ~LeaseLock();  // Release(); a failure is ignored (the lease then ends by itself)
  LeaseLock(const LeaseLock&) = delete;
  LeaseLock& operator=(const LeaseLock&) = delete;

  // Takes the lock if it has no row, its lease has expired or it is ours;
  // else tries again, 50 ms to 1 s apart, while `wait` lasts (0: one try).
  // True if held now. Throws DbError.
  bool Acquire(std::chrono::milliseconds wait);

  // Extends our lease to `lease` from now, through the lock's session or
  // `through` (a renewing thread's own). False if the lock is no longer
  // ours: held() was already false, or the row is gone or another holder's
  // (it took the lock over after our lease expired); held() is false from
  // then on. Throws DbError (held() then turns false on time by itself).
  bool Renew();
  bool Renew(Session& through);

  // Deletes the row if it is ours, never another holder's. held() is false
  // after, also if the statement throws (DbError).
  void Release();

  // True from a successful Acquire or Renew until two thirds of the lease
  // have passed since its statement was sent, unless a Renew found the lock
  // lost or it was released. The last third is the holder's margin: the
  // time in which it sees held() false and stops before anyone else can
  // take the lock over. Thread-safe.
  bool held() const;

  const std::string& name() const { return name_; }
  const std::string& owner() const { return owner_; }
  std::chrono::milliseconds lease() const { return lease_; }

 private:
  bool TryTake();
  void Trust(Clock::time_point sent);

  Session& session_;
  std::string name_;
  std::string owner_;
  std::chrono::milliseconds lease_;
  bool may_hold_ = false;                     // a take may have committed and no Release ran since
  std::atomic<Clock::rep> trusted_until_{0};  // Clock ticks since its epoch; 0: not held
};

}  // namespace dcp::mysql
