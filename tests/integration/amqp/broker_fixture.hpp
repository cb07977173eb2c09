#pragma once
// Shared setup of the broker tests: the URL from DCP_TEST_AMQP_URL (skipped
// without it, failed under DCP_REQUIRE_SERVERS=1), a fresh queue name per
// test, a libev loop run until a condition holds (bounded by a timer, never
// a sleep), cleanup of queues.
#include <ev.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "amqp/connection.hpp"
#include "amqp/queue_topology.hpp"

namespace dcp::amqp::testing {

class BrokerTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Fresh options for the test's own queues: quorum, delivery limit 5.
  ConnectionOptions connection_options() const { return connection_; }
  const QueueOptions& queue() const { return queue_; }
  // One more queue of the test's (`<queue>.<suffix>`), removed with it.
  QueueOptions AnotherQueue(const std::string& suffix);

  // A short-lived admin connection (declare, inspect, delete).
  Connection Admin() const { return Connection(connection_); }
  std::uint32_t Ready(const std::string& queue_name) const;

  // Runs the loop until `done()` or `timeout`; returns done(). `done` is
  // re-checked after every loop iteration (a 10 ms tick keeps them coming).
  bool RunUntil(const std::function<bool()>& done,
                std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Runs the loop for `duration`, serving every watcher meanwhile.
  void RunFor(std::chrono::milliseconds duration);

  struct ev_loop* loop_ = nullptr;
  ConnectionOptions connection_;
  QueueOptions queue_;
  std::vector<QueueOptions> queues_;  // deleted at the end, with their dead and retry queues
};

}  // namespace dcp::amqp::testing
