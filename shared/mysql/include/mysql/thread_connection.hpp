#pragma once
// A repository with a connection of its own, for the calling thread (pool
// threads, the heartbeat thread): the driver is told about the thread, and
// the connection lives as long as the returned pointer.
#include <memory>

#include "mysql/driver.hpp"
#include "mysql/session.hpp"

namespace dcp::mysql {

// Repository: constructible from Session& (MysqlTaskStore, ...); Port: the
// interface it implements. Call on the thread that will use it.
template <class Repository, class Port>
std::shared_ptr<Port> ConnectOnThisThread(const MysqlNodes& nodes) {
  struct Owner {
    DriverThread driver;
    Session session;
    Repository repository{session};
    explicit Owner(const MysqlNodes& n) : session(n) {}
  };
  auto owner = std::make_shared<Owner>(nodes);
  return std::shared_ptr<Port>(owner, &owner->repository);
}

}  // namespace dcp::mysql
