#include "amqp/consumer.hpp"

#include <algorithm>
#include <vector>

#include "amqp/confirm_publisher.hpp"
#include "broker_fixture.hpp"

namespace dcp::amqp {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Records everything; acks on delivery when `auto_ack` is set.
class RecordingHandler : public ConsumerHandler {
 public:
  void OnDelivery(Delivery delivery) override {
    if (auto_ack && consumer != nullptr) {
      EXPECT_TRUE(consumer->Ack(delivery.ref));
    }
    deliveries.push_back(std::move(delivery));
  }
  void OnConnected() override { ++connects; }
  void OnDisconnected(const std::string& reason) override { disconnects.push_back(reason); }

  Consumer* consumer = nullptr;
  bool auto_ack = false;
  std::vector<Delivery> deliveries;
  int connects = 0;
  std::vector<std::string> disconnects;
};

class ConsumerTest : public testing::BrokerTest {
 protected:
  ConsumerOptions Options(std::uint16_t prefetch) const {
    ConsumerOptions options;
    options.connection = connection_options();
    options.queues = {queue()};
    options.prefetch = prefetch;
    return options;
  }

  void Publish(std::size_t count) { Publish(count, queue()); }
  void Publish(std::size_t count, const QueueOptions& to) {
    PublisherOptions options;
    options.connection = connection_options();
    options.queue = to;
    std::vector<std::string> bodies;
    for (std::size_t i = 0; i < count; ++i) bodies.push_back("{\"n\":" + std::to_string(i) + "}");
    ConfirmPublisher(options).PublishConfirmed(bodies);
  }
};

TEST_F(ConsumerTest, ConsumesEverythingWithAcks) {
  Publish(50);
  RecordingHandler handler;
  Consumer consumer(loop_, Options(10), handler);
  handler.consumer = &consumer;
  handler.auto_ack = true;
  consumer.Start();
  ASSERT_TRUE(RunUntil([&] { return handler.deliveries.size() == 50; }));
  EXPECT_EQ(handler.deliveries.front().body, "{\"n\":0}");
  EXPECT_FALSE(handler.deliveries.front().redelivered);
  EXPECT_EQ(handler.deliveries.front().routing_key, queue().name);
  consumer.Close();
  EXPECT_EQ(Ready(queue().name), 0U);  // unacked ones would be back by now
  EXPECT_TRUE(handler.disconnects.empty());
}

TEST_F(ConsumerTest, PrefetchBoundsUnackedDeliveries) {
  Publish(10);
  RecordingHandler handler;
  Consumer consumer(loop_, Options(3), handler);
  consumer.Start();
  ASSERT_TRUE(RunUntil([&] { return handler.deliveries.size() >= 3; }));
  RunFor(milliseconds(500));  // give the broker every chance to send a 4th
  EXPECT_EQ(handler.deliveries.size(), 3U);
  EXPECT_EQ(consumer.unsettled(), 3U);
  // One ack makes room for exactly one more.
  EXPECT_TRUE(consumer.Ack(handler.deliveries[0].ref));
  ASSERT_TRUE(RunUntil([&] { return handler.deliveries.size() >= 4; }));
  RunFor(milliseconds(300));
  EXPECT_EQ(handler.deliveries.size(), 4U);
}

TEST_F(ConsumerTest, RejectWithoutRequeueDeadLettersThroughTheBroker) {
  Publish(1);
  RecordingHandler handler;
  Consumer consumer(loop_, Options(1), handler);
  consumer.Start();
  ASSERT_TRUE(RunUntil([&] { return handler.deliveries.size() == 1; }));
  EXPECT_TRUE(consumer.Reject(handler.deliveries[0].ref, /*requeue=*/false));
  EXPECT_FALSE(consumer.Ack(handler.deliveries[0].ref)) << "already settled";
  ASSERT_TRUE(RunUntil([&] { return Ready(queue().DeadLetterName()) == 1; }));
  consumer.Close();
  EXPECT_EQ(Ready(queue().name), 0U);
}

TEST_F(ConsumerTest, DeadLetterCarriesTheReasonAndRemovesTheOriginal) {
  Publish(1);
  RecordingHandler handler;
  Consumer consumer(loop_, Options(1), handler);
  consumer.Start();
  ASSERT_TRUE(RunUntil([&] { return handler.deliveries.size() == 1; }));
  const Delivery& delivery = handler.deliveries[0];
  EXPECT_TRUE(consumer.DeadLetter(delivery.ref, delivery.body, "end_date before start_date"));
  EXPECT_FALSE(consumer.Ack(delivery.ref)) << "settled by the dead letter";
  ASSERT_TRUE(RunUntil([&] { return consumer.unsettled() == 0; })) << "original not acked";
  consumer.Close();

  Connection admin = Admin();
  const auto dead = TakeOne(admin, queue().DeadLetterName());
  ASSERT_TRUE(dead.has_value());
  EXPECT_EQ(dead->body, delivery.body);
  const auto reason = std::find_if(dead->headers.begin(), dead->headers.end(),
                                   [](const Header& h) { return h.name == "x-dcp-reason"; });
  ASSERT_NE(reason, dead->headers.end());
  EXPECT_EQ(reason->value, "end_date before start_date");
  EXPECT_EQ(Inspect(admin, queue().name).messages_ready, 0U);
}

TEST_F(ConsumerTest, GroupedAcksNeverSettleADeliveryStillOpen) {
  Publish(8);
  RecordingHandler handler;
  Consumer consumer(loop_, Options(8), handler);
  consumer.Start();
  ASSERT_TRUE(RunUntil([&] { return handler.deliveries.size() == 8; }));
  const auto& d = handler.deliveries;
  // Tags 1..8. First: 2 is dead-lettered (open until confirmed), 4 stays
  // open, 1, 3, 5, 6 are acked in one go: a `multiple` ack may cover tag 1
  // only.
  EXPECT_TRUE(consumer.DeadLetter(d[1].ref, d[1].body, "test"));
  for (const std::size_t i : {5U, 0U, 2U, 4U}) EXPECT_TRUE(consumer.Ack(d[i].ref));
  ASSERT_TRUE(RunUntil([&] { return consumer.unsettled() == 3; }));  // 4, 7, 8
  // Then 7 and 8: still not 4.
  for (const std::size_t i : {7U, 6U}) EXPECT_TRUE(consumer.Ack(d[i].ref));
  ASSERT_TRUE(RunUntil([&] { return consumer.unsettled() == 1; }));
  consumer.Close();  // sends what is pending; the open delivery returns to the queue

  Connection admin = Admin();
  const auto back = TakeOne(admin, queue().name);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->body, d[3].body);
  EXPECT_EQ(Inspect(admin, queue().name).messages_ready, 0U);
  const auto dead = TakeOne(admin, queue().DeadLetterName());
  ASSERT_TRUE(dead.has_value());
  EXPECT_EQ(dead->body, d[1].body);
}

TEST_F(ConsumerTest, UnackedDeliveriesComeBackRedelivered) {
  Publish(1);
  {
    RecordingHandler handler;
    Consumer consumer(loop_, Options(1), handler);
    consumer.Start();
    ASSERT_TRUE(RunUntil([&] { return handler.deliveries.size() == 1; }));
    EXPECT_FALSE(handler.deliveries[0].redelivered);
    consumer.Close();
  }
  RecordingHandler handler;
  Consumer consumer(loop_, Options(1), handler);
  handler.consumer = &consumer;
  handler.auto_ack = true;
  consumer.Start();
  ASSERT_TRUE(RunUntil([&] { return handler.deliveries.size() == 1; }));
  EXPECT_TRUE(handler.deliveries[0].redelivered);
  EXPECT_EQ(handler.deliveries[0].body, "{\"n\":0}");
  EXPECT_GE(handler.deliveries[0].delivery_count, 1) << "quorum queues count deliveries";
}

TEST_F(ConsumerTest, StaleAckAfterReconnectIsANoOp) {
  Publish(1);
  RecordingHandler handler;
  Consumer consumer(loop_, Options(1), handler);
  consumer.Start();
  ASSERT_TRUE(RunUntil([&] { return handler.deliveries.size() == 1; }));
  const DeliveryRef old_ref = handler.deliveries[0].ref;
  const std::uint64_t old_generation = consumer.generation();

  {  // Deleting the queue makes the broker cancel the consumer: it reconnects.
    Connection admin = Admin();
    DeleteQueue(admin, queue().name);
  }
  ASSERT_TRUE(RunUntil([&] { return handler.connects == 2; })) << "no reconnect";
  ASSERT_EQ(handler.disconnects.size(), 1U);
  EXPECT_NE(handler.disconnects[0].find("cancelled"), std::string::npos) << handler.disconnects[0];
  EXPECT_GT(consumer.generation(), old_generation);
  EXPECT_FALSE(consumer.Ack(old_ref));
  EXPECT_FALSE(consumer.Reject(old_ref, false));
  EXPECT_FALSE(consumer.DeadLetter(old_ref, "{}", "stale"));

  Publish(1);  // the consumer re-declared the queue; it still works
  ASSERT_TRUE(RunUntil([&] { return handler.deliveries.size() == 2; }));
  EXPECT_TRUE(consumer.Ack(handler.deliveries[1].ref));
  ASSERT_TRUE(RunUntil([&] { return consumer.unsettled() == 0; }));
  consumer.Close();
  EXPECT_EQ(Ready(queue().name), 0U);
}

// A worker serving several jobs consumes their queues together: each
// delivery says its queue, and its dead letter and retry go to that queue's.
TEST_F(ConsumerTest, SeveralQueuesOnOneConsumerEachSettledOnItsOwn) {
  const QueueOptions second = AnotherQueue("second");
  Publish(3);
  Publish(2, second);
  ConsumerOptions options = Options(10);
  options.queues.push_back(second);
  options.consumer_tag = "several";
  RecordingHandler handler;
  Consumer consumer(loop_, options, handler);
  consumer.Start();
  ASSERT_TRUE(RunUntil([&] { return handler.deliveries.size() == 5; }));
  std::vector<std::size_t> per_queue(2);
  for (const Delivery& d : handler.deliveries) {
    ASSERT_LT(d.queue, 2U);
    ++per_queue[d.queue];
    EXPECT_EQ(d.routing_key, options.queues[d.queue].name);
  }
  EXPECT_EQ(per_queue, (std::vector<std::size_t>{3, 2}));
  const auto of = [&](std::size_t queue) {
    return std::find_if(handler.deliveries.begin(), handler.deliveries.end(),
                        [queue](const Delivery& d) { return d.queue == queue; });
  };
  EXPECT_TRUE(consumer.DeadLetter(of(1)->ref, "dead of second", "test"));
  EXPECT_TRUE(consumer.Retry(of(0)->ref, "retry of first", milliseconds(600'000), "test"));
  for (const Delivery& d : handler.deliveries) consumer.Ack(d.ref);  // the other three
  ASSERT_TRUE(RunUntil([&] { return consumer.unsettled() == 0; }));
  consumer.Cancel();  // both consumers
  Publish(1, second);
  RunFor(milliseconds(300));
  EXPECT_EQ(handler.deliveries.size(), 5U) << "a queue still consumed after Cancel";
  consumer.Close();

  Connection admin = Admin();
  EXPECT_EQ(Inspect(admin, second.name).messages_ready, 1U);
  EXPECT_EQ(Inspect(admin, queue().name).messages_ready, 0U);
  EXPECT_EQ(Inspect(admin, queue().DeadLetterName()).messages_ready, 0U);
  const auto dead = TakeOne(admin, second.DeadLetterName());
  ASSERT_TRUE(dead.has_value());
  EXPECT_EQ(dead->body, "dead of second");
  const auto retry = TakeOne(admin, queue().RetryName());
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(retry->body, "retry of first");
  EXPECT_EQ(Inspect(admin, second.RetryName()).messages_ready, 0U);
}

TEST_F(ConsumerTest, HeartbeatsKeepAnIdleConnectionAlive) {
  ConsumerOptions options = Options(1);
  options.connection.heartbeat = seconds(1);
  RecordingHandler handler;
  Consumer consumer(loop_, options, handler);
  handler.consumer = &consumer;
  handler.auto_ack = true;
  consumer.Start();
  ASSERT_TRUE(RunUntil([&] { return handler.connects == 1; }));
  RunFor(milliseconds(3500));  // > 2 heartbeats: the broker would have closed a silent client
  EXPECT_TRUE(handler.disconnects.empty()) << handler.disconnects.front();
  EXPECT_EQ(handler.connects, 1);
  EXPECT_TRUE(consumer.connected());
  Publish(1);
  EXPECT_TRUE(RunUntil([&] { return handler.deliveries.size() == 1; }));
}

TEST_F(ConsumerTest, CancelStopsDeliveriesButKeepsAcksWorking) {
  Publish(2);
  RecordingHandler handler;
  Consumer consumer(loop_, Options(1), handler);
  consumer.Start();
  ASSERT_TRUE(RunUntil([&] { return handler.deliveries.size() == 1; }));
  consumer.Cancel();
  EXPECT_TRUE(consumer.Ack(handler.deliveries[0].ref));
  RunFor(milliseconds(300));
  EXPECT_EQ(handler.deliveries.size(), 1U);
  EXPECT_TRUE(handler.disconnects.empty());
  consumer.Close();
  EXPECT_EQ(Ready(queue().name), 1U);
}

}  // namespace
}  // namespace dcp::amqp
