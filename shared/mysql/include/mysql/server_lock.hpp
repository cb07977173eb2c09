#pragma once
// A named server lock (GET_LOCK) held by a session's connection. The name is
// "dcp.<purpose>.<database>", so deployments (and test databases) sharing a
// server do not contend. The server releases it when the connection ends,
// so a lost connection loses the lock.
#include <cstdint>
#include <string>
#include <string_view>

#include "mysql/session.hpp"

namespace dcp::mysql {

class ServerLock {
 public:
  // `session` must outlive the lock.
  ServerLock(Session& session, std::string_view purpose);
  ~ServerLock();  // releases it if held
  ServerLock(const ServerLock&) = delete;
  ServerLock& operator=(const ServerLock&) = delete;

  // Waits up to wait_seconds (0: do not wait). True if held now, also when
  // this object already held it on the current connection.
  bool Acquire(int wait_seconds);
  void Release();
  bool held() const;

  const std::string& name() const { return name_; }

 private:
  Session& session_;
  std::string name_;
  bool held_ = false;
  std::uint64_t generation_ = 0;
};

}  // namespace dcp::mysql
