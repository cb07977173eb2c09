#include "mysql/lease_keeper.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace dcp::mysql {
namespace {

std::chrono::milliseconds Interval(const LeaseLock& lock) { return lock.lease() / 6; }

SessionOptions KeeperSessionOptions(const LeaseLock& lock) {
  const auto timeout = std::max(std::chrono::seconds(1),
                                std::chrono::duration_cast<std::chrono::seconds>(Interval(lock)));
  return SessionOptions{timeout, timeout, timeout};
}

}  // namespace

LeaseKeeper::LeaseKeeper(LeaseLock& lock, MysqlNodes nodes)
    : lock_(lock),
      nodes_(std::move(nodes)),
      periodic_(
          "lock " + lock.name(), Interval(lock), [this](runtime::Stopper&) { Tick(); },
          [this] { Last(); }) {
  periodic_.Start();
}

LeaseKeeper::~LeaseKeeper() { periodic_.Stop(); }

void LeaseKeeper::Tick() {
  if (lost_) return;
  if (!session_) {
    driver_.emplace();
    session_ = std::make_unique<Session>(nodes_, KeeperSessionOptions(lock_));
  }
  if (lock_.Renew(*session_)) return;
  lost_ = true;
  spdlog::error("lock {}: lost (its lease of {:g} s ran out unrenewed, or another holder took it)",
                lock_.name(), std::chrono::duration<double>(lock_.lease()).count());
}

void LeaseKeeper::Last() {
  session_.reset();
  driver_.reset();
}

}  // namespace dcp::mysql
