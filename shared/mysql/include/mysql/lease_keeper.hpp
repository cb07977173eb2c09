#pragma once
// Keeps a held LeaseLock's lease alive from a thread of its own, with a
// connection of its own: for a holder whose thread may be busy for longer
// than a lease in one call (the leader in a job's steps, in the
// transaction that records a big run, in a broker outage while it
// publishes). The holder asks lock.held() before each thing the lock
// protects, and stops when it is false.
#include <chrono>
#include <memory>
#include <optional>

#include "mysql/driver.hpp"
#include "mysql/lease_lock.hpp"
#include "mysql/mysql_url.hpp"
#include "mysql/session.hpp"
#include "runtime/periodic.hpp"

namespace dcp::mysql {

class LeaseKeeper {
 public:
  // Renews `lock` every sixth of its lease through a session of its own on
  // `nodes` (in turn from the first, as any session: a renewal that finds
  // its node dead fails, the next one tries the next node; timeouts are
  // that sixth too, at least 1 s), until the lease
  // is lost or the keeper is destroyed. So a renewal may fail three times in
  // a row before held() turns false. `lock` must be held, must outlive the
  // keeper, and its Acquire and Release must not run while the keeper does.
  LeaseKeeper(LeaseLock& lock, MysqlNodes nodes);
  ~LeaseKeeper();  // stops renewing; waits for a renewal under way (its timeouts at most)
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

 private:
  void Tick();
  void Last();

  LeaseLock& lock_;
  MysqlNodes nodes_;
  bool lost_ = false;  // told once
  // Made and ended on the thread: the driver's per-thread state first.
  std::optional<DriverThread> driver_;
  std::unique_ptr<Session> session_;
  runtime::Periodic periodic_;  // last: stopped first
};

}  // namespace dcp::mysql
