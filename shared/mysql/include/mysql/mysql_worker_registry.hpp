#pragma once
#include "mysql/session.hpp"
#include "ports/worker_registry.hpp"

namespace dcp::mysql {

// WorkerRegistry on the `worker` table. Not thread-safe (one Session).
class MysqlWorkerRegistry final : public WorkerRegistry {
 public:
  explicit MysqlWorkerRegistry(Session& session) : session_(session) {}
  void Beat(const WorkerBeat& beat) override;
  void Leave(std::string_view worker_id) override;

 private:
  Session& session_;
};

}  // namespace dcp::mysql
