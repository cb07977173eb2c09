#include "mysql/server_lock.hpp"

#include "ports/errors.hpp"

namespace dcp::mysql {
namespace {

constexpr std::size_t kMaxLockName = 64;  // MySQL 8 rejects longer names

}  // namespace

ServerLock::ServerLock(Session& session, std::string_view purpose)
    : session_(session),
      name_(
          ("dcp." + std::string(purpose) + "." + session.url().database).substr(0, kMaxLockName)) {}

ServerLock::~ServerLock() {
  try {
    Release();
  } catch (const DbError&) {
    // The connection is gone, and the lock with it.
  }
}

bool ServerLock::Acquire(int wait_seconds) {
  if (held()) return true;
  const auto got = session_.QueryInt("SELECT GET_LOCK(?, ?)", {name_, Value{wait_seconds}});
  if (!got) {
    throw DbError("mysql " + session_.url().Endpoint() + ": GET_LOCK(" + name_ + ") failed", false);
  }
  held_ = *got == 1;
  generation_ = session_.generation();
  return held_;
}

void ServerLock::Release() {
  if (!held()) {
    held_ = false;
    return;
  }
  held_ = false;
  session_.QueryInt("SELECT RELEASE_LOCK(?)", {name_});
}

bool ServerLock::held() const {
  return held_ && session_.connected() && session_.generation() == generation_;
}

}  // namespace dcp::mysql
