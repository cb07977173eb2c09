#include "broker_fixture.hpp"

#include <random>

#include "support/servers.hpp"

namespace dcp::amqp::testing {
namespace {

std::string RandomSuffix() {
  std::random_device device;
  std::uniform_int_distribution<unsigned> digit(0, 15);
  std::string suffix;
  for (int i = 0; i < 12; ++i) suffix.push_back("0123456789abcdef"[digit(device)]);
  return suffix;
}

void StopLoop(struct ev_loop* loop, ev_timer*, int) { ev_break(loop, EVBREAK_ONE); }
void Tick(struct ev_loop*, ev_timer*, int) {}

}  // namespace

void BrokerTest::SetUp() {
  const auto url = dcp::testing::ServerUrl("DCP_TEST_AMQP_URL");
  if (!url) return;
  const auto parsed = AmqpUrl::Parse(*url);
  ASSERT_TRUE(parsed.ok()) << parsed.reason();
  connection_.nodes = {*parsed};
  connection_.name = "dcp-amqp-test";
  queue_.name = "dcp.test." + RandomSuffix();
  queues_ = {queue_};
  loop_ = ev_loop_new(EVFLAG_AUTO);
  ASSERT_NE(loop_, nullptr);
}

void BrokerTest::TearDown() {
  if (loop_ != nullptr) ev_loop_destroy(loop_);
  if (connection_.nodes.front().host.empty()) return;
  try {
    Connection admin(connection_);
    for (const QueueOptions& queue : queues_) {
      DeleteQueue(admin, queue.name);
      DeleteQueue(admin, queue.DeadLetterName());
      DeleteQueue(admin, queue.RetryName());
    }
  } catch (const std::exception& error) {
    ADD_FAILURE() << "cleanup of " << queue_.name << ": " << error.what();
  }
}

QueueOptions BrokerTest::AnotherQueue(const std::string& suffix) {
  QueueOptions another = queue_;
  another.name += "." + suffix;
  queues_.push_back(another);
  return another;
}

std::uint32_t BrokerTest::Ready(const std::string& queue_name) const {
  Connection admin(connection_);
  return Inspect(admin, queue_name).messages_ready;
}

bool BrokerTest::RunUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  ev_timer deadline;
  ev_timer_init(&deadline, StopLoop, std::chrono::duration<double>(timeout).count(), 0.);
  ev_timer_start(loop_, &deadline);
  ev_timer tick;
  ev_timer_init(&tick, Tick, 0.01, 0.01);
  ev_timer_start(loop_, &tick);
  bool result = done();
  while (!result && ev_is_active(&deadline)) {
    ev_run(loop_, EVRUN_ONCE);
    result = done();
  }
  ev_timer_stop(loop_, &tick);
  ev_timer_stop(loop_, &deadline);
  return result;
}

void BrokerTest::RunFor(std::chrono::milliseconds duration) {
  ev_timer stop;
  ev_timer_init(&stop, StopLoop, std::chrono::duration<double>(duration).count(), 0.);
  ev_timer_start(loop_, &stop);
  ev_run(loop_, 0);
  ev_timer_stop(loop_, &stop);
}

}  // namespace dcp::amqp::testing
