#pragma once
// Publishes a run's recorded tasks with confirms and moves the run's
// published watermark after each confirmed batch. Shared by the leader
// (new runs, resumed runs) and `dcp retry`.
//
// A batch that fails (broker restarted, connection lost, nack) is published
// again after a growing delay, until `give_up_after`: the broker may then
// hold some of its messages twice, which workers skip. The watermark never
// passes a message that is not confirmed.
//
// Failpoint (tests): leader.crash-after-batches=N kills the process once N
// batches are confirmed and their watermark is written.
#include <chrono>
#include <cstdint>
#include <span>

#include "planning/run_lock.hpp"
#include "ports/run_planning_store.hpp"
#include "ports/task_publisher.hpp"

namespace dcp::planning {

struct PublishSettings {
  std::size_t batch = 2000;  // messages per confirm round and watermark write
  std::chrono::milliseconds first_retry_delay{500};
  std::chrono::milliseconds max_retry_delay{std::chrono::seconds(15)};
  std::chrono::milliseconds give_up_after{std::chrono::minutes(5)};
};

class RunPublisher {
 public:
  // `lock`, if given, is checked before each batch is sent (and each time
  // it is sent again): a lost run lock stops the publishing (LockLostError).
  // It must outlive the publisher.
  RunPublisher(RunPlanningStore& store, TaskPublisher& publisher, PublishSettings settings,
               const RunLock* lock = nullptr)
      : store_(store), publisher_(publisher), settings_(std::move(settings)), lock_(lock) {}

  // Publishes `tasks` (in seq order) of `run`, one batch of messages at a
  // time. Throws the last AmqpError or UnavailableError once retries are
  // exhausted, DbError and LockLostError at once.
  void Publish(const RunId& run, const TaskBatches& tasks);

  // Publishes the QUEUED tasks of `run` past its watermark, then marks it
  // RUNNING. Returns how many were published.
  std::int64_t Resume(const RunId& run);

 private:
  void PublishBatch(std::span<const std::string> bodies);
  void CrashAfterBatches() const;  // the failpoint leader.crash-after-batches
  static void PausePerBatch();     // the failpoint leader.pause-per-batch-ms

  RunPlanningStore& store_;
  TaskPublisher& publisher_;
  PublishSettings settings_;
  const RunLock* lock_;
  std::int64_t batches_ = 0;
};

}  // namespace dcp::planning
