// A broker given as several nodes: connections try them in turn, and a
// client whose node dies moves on to the next. Each "node" is a TcpRelay to
// the one test broker, so a node can die (Cut) while the broker lives on.
#include <amqp.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "amqp/confirm_publisher.hpp"
#include "amqp/consumer.hpp"
#include "amqp/event_publisher.hpp"
#include "broker_fixture.hpp"
#include "ports/errors.hpp"
#include "support/tcp_relay.hpp"

namespace dcp::amqp {
namespace {

using ::dcp::testing::TcpRelay;

class Recorder : public ConsumerHandler {
 public:
  void OnDelivery(Delivery delivery) override { deliveries.push_back(std::move(delivery)); }
  void OnConnected() override { ++connects; }
  void OnDisconnected(const std::string& reason) override { disconnects.push_back(reason); }

  std::vector<Delivery> deliveries;
  int connects = 0;
  std::vector<std::string> disconnects;
};

class FailoverTest : public testing::BrokerTest {
 protected:
  void SetUp() override {
    BrokerTest::SetUp();
    if (connection_.nodes.front().host.empty()) return;
    broker_ = connection_.nodes.front();
    for (auto& relay : relays_) relay = std::make_unique<TcpRelay>(broker_.port);
  }

  AmqpUrl Node(int i) const {
    AmqpUrl url = broker_;
    url.host = "127.0.0.1";
    url.port = relays_[static_cast<std::size_t>(i)]->port();
    return url;
  }
  ConnectionOptions Nodes(std::vector<AmqpUrl> nodes) const {
    ConnectionOptions options = connection_options();
    options.nodes = std::move(nodes);
    return options;
  }
  ConsumerOptions ConsumingFromBothNodes() const {
    ConsumerOptions options;
    options.connection = Nodes({Node(0), Node(1)});
    options.queues = {queue()};
    options.reconnect.first = std::chrono::milliseconds(10);  // quick to move on
    return options;
  }
  static AmqpUrl Dead(AmqpUrl url) {
    url.port = 1;  // nothing listens there
    url.password = "s3cret-pw";
    return url;
  }

  AmqpUrl broker_;
  std::array<std::unique_ptr<TcpRelay>, 2> relays_;
};

TEST_F(FailoverTest, AConnectionSkipsANodeThatDoesNotAnswer) {
  Connection connection(Nodes({Dead(Node(0)), Node(1)}));
  EXPECT_EQ(connection.node(), 1U);
  EXPECT_EQ(connection.endpoint(), Node(1).Endpoint());
  EXPECT_EQ(relays_[1]->accepted(), 1);
}

TEST_F(FailoverTest, AConnectionStartsAtTheNodeItIsGiven) {
  Connection connection(Nodes({Node(0), Node(1)}), /*first_node=*/1);
  EXPECT_EQ(connection.node(), 1U);
  EXPECT_EQ(relays_[0]->accepted(), 0);
  Connection wrapped(Nodes({Node(0), Node(1)}), /*first_node=*/2);  // past the end: wraps
  EXPECT_EQ(wrapped.node(), 0U);
}

TEST_F(FailoverTest, NoNodeAnsweringNamesEachWithoutAPassword) {
  AmqpUrl other = Dead(Node(1));
  other.port = 2;
  try {
    Connection connection(Nodes({Dead(Node(0)), other}));
    FAIL() << "expected UnavailableError";
  } catch (const UnavailableError& error) {
    const std::string what = error.what();
    EXPECT_NE(what.find("127.0.0.1:1"), std::string::npos) << what;
    EXPECT_NE(what.find("127.0.0.1:2"), std::string::npos) << what;
    EXPECT_EQ(what.find("s3cret-pw"), std::string::npos) << what;
  }
}

TEST_F(FailoverTest, AConsumerWhoseNodeDiesMovesToTheNextAndNeverAcksAnOldTag) {
  PublisherOptions publishing;
  publishing.connection = connection_options();
  publishing.queue = queue();
  ConfirmPublisher(publishing).PublishConfirmed(std::vector<std::string>{"{\"n\":1}"});

  Recorder handler;
  Consumer consumer(loop_, ConsumingFromBothNodes(), handler);
  consumer.Start();
  ASSERT_TRUE(RunUntil([&] { return handler.deliveries.size() == 1; }));
  EXPECT_EQ(consumer.endpoint(), Node(0).Endpoint());
  const DeliveryRef old_ref = handler.deliveries[0].ref;

  relays_[0]->Cut();
  ASSERT_TRUE(RunUntil([&] { return handler.connects == 2 && handler.deliveries.size() == 2; }))
      << "no reconnect to the second node";
  EXPECT_EQ(consumer.endpoint(), Node(1).Endpoint());
  EXPECT_EQ(handler.disconnects.size(), 1U);
  EXPECT_FALSE(consumer.Ack(old_ref)) << "a delivery tag of the lost connection";
  EXPECT_TRUE(handler.deliveries[1].redelivered);
  EXPECT_EQ(handler.deliveries[1].body, "{\"n\":1}");
  EXPECT_TRUE(consumer.Ack(handler.deliveries[1].ref));
  ASSERT_TRUE(RunUntil([&] { return consumer.unsettled() == 0; }));
  consumer.Close();
  EXPECT_EQ(Ready(queue().name), 0U);
}

TEST_F(FailoverTest, AConsumerWhoseConnectionIsLostMovesOnEvenIfItsNodeStillAnswers) {
  Recorder handler;
  Consumer consumer(loop_, ConsumingFromBothNodes(), handler);
  consumer.Start();
  ASSERT_TRUE(RunUntil([&] { return handler.connects == 1; }));
  EXPECT_EQ(consumer.endpoint(), Node(0).Endpoint());
  relays_[0]->Reset();
  ASSERT_TRUE(RunUntil([&] { return handler.connects == 2; })) << "no reconnect";
  EXPECT_EQ(consumer.endpoint(), Node(1).Endpoint());
  EXPECT_EQ(relays_[0]->accepted(), 1) << "went back to the node it lost";
  consumer.Close();
}

TEST_F(FailoverTest, APublisherWhoseNodeDiedPublishesThroughTheNextOnItsNextCall) {
  PublisherOptions publishing;
  publishing.connection = Nodes({Node(0), Node(1)});
  publishing.queue = queue();
  ConfirmPublisher publisher(publishing);
  publisher.PublishConfirmed(std::vector<std::string>{"{\"n\":1}"});
  EXPECT_EQ(relays_[1]->accepted(), 0);

  relays_[0]->Cut();
  // The reset is seen before publishing, so the call goes through the
  // second node (a node that dies during a call fails it instead: its
  // confirms are unknown and the caller publishes again).
  publisher.PublishConfirmed(std::vector<std::string>{"{\"n\":2}"});
  EXPECT_EQ(relays_[1]->accepted(), 1);
  EXPECT_EQ(Ready(queue().name), 2U);
}

// The monitor's publishers idle between a user's clicks, past two heartbeat
// periods, and the broker closes their connections: the next call must
// reconnect first instead of failing on the closed one (it used to throw
// "a socket error occurred" and cost the caller a retry).
TEST_F(FailoverTest, IdlePublishersWhoseConnectionsWereClosedReconnectBeforePublishing) {
  PublisherOptions publishing;
  publishing.connection = Nodes({Node(0)});
  publishing.queue = queue();
  ConfirmPublisher publisher(publishing);
  AmqpEventPublisher events({Nodes({Node(0)}), "dcp.events.failover-test"});
  publisher.PublishConfirmed(std::vector<std::string>{"{\"n\":1}"});
  events.Publish("run.completed", "{}");
  EXPECT_EQ(relays_[0]->accepted(), 2);

  relays_[0]->Reset();  // as the broker closing connections that missed heartbeats
  publisher.PublishConfirmed(std::vector<std::string>{"{\"n\":2}"});
  events.Publish("run.completed", "{}");
  EXPECT_EQ(relays_[0]->accepted(), 4);
  EXPECT_EQ(Ready(queue().name), 2U);
  Connection cleanup(connection_options());
  amqp_exchange_delete(cleanup.state(), Connection::kMainChannel,
                       amqp_cstring_bytes("dcp.events.failover-test"), /*if_unused=*/0);
}

}  // namespace
}  // namespace dcp::amqp
