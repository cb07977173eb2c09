#pragma once
// RetentionStore on MySQL / MariaDB: the purge claim is the lease lock
// 'purge' (dcp_lock, renewed by a LeaseKeeper while held), the deletes are
// DELETE ... LIMIT per table in short transactions that first re-read the
// run's row (FOR UPDATE): a run that became active again is left alone.
#include <chrono>
#include <memory>
#include <optional>

#include "mysql/lease_keeper.hpp"
#include "mysql/lease_lock.hpp"
#include "mysql/session.hpp"
#include "ports/retention_store.hpp"

namespace dcp::mysql {

class MysqlRetentionStore final : public RetentionStore {
 public:
  // How long the purge claim outlives a purger that died.
  static constexpr std::chrono::seconds kPurgeLease{60};

  explicit MysqlRetentionStore(Session& session, std::chrono::milliseconds lease = kPurgeLease);
  ~MysqlRetentionStore() override;
  MysqlRetentionStore(const MysqlRetentionStore&) = delete;
  MysqlRetentionStore& operator=(const MysqlRetentionStore&) = delete;

  bool ClaimPurge() override;
  bool PurgeClaimHeld() override;
  void ReleasePurge() override;
  std::vector<ExpiredRun> ExpiredRuns(std::chrono::seconds age, std::size_t limit) override;
  std::uint64_t CountRows(const RunId& run) override;
  PurgeBatch DeleteBatch(const RunId& run, std::chrono::seconds age, std::size_t batch) override;
  std::size_t DeleteOrphans(std::chrono::seconds age, std::size_t batch) override;
  std::uint64_t CountOrphans(std::chrono::seconds age) override;

 private:
  Session& session_;
  LeaseLock lock_;
  std::unique_ptr<LeaseKeeper> keeper_;  // while the claim is held
};

}  // namespace dcp::mysql
