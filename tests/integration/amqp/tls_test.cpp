// amqps:// to the test broker's TLS listener (scripts/stack makes its CA:
// DCP_TEST_AMQPS_URL, DCP_TEST_CA_FILE). The certificate names 127.0.0.1
// and ::1 only, so a host it does not name is a relay on 127.0.0.2.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "amqp/confirm_publisher.hpp"
#include "amqp/consumer.hpp"
#include "broker_fixture.hpp"
#include "ports/errors.hpp"
#include "support/servers.hpp"
#include "support/tcp_relay.hpp"

namespace dcp::amqp {
namespace {

// Keeps each body and acks it.
struct Acker : ConsumerHandler {
  void OnDelivery(Delivery delivery) override {
    bodies.push_back(delivery.body);
    consumer->Ack(delivery.ref);
  }
  Consumer* consumer = nullptr;
  std::vector<std::string> bodies;
};

class TlsTest : public testing::BrokerTest {
 protected:
  void SetUp() override {
    BrokerTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    const auto url = dcp::testing::ServerUrl("DCP_TEST_AMQPS_URL");
    const auto ca = dcp::testing::ServerUrl("DCP_TEST_CA_FILE");
    if (!url || !ca) return;
    auto parsed = AmqpUrl::Parse(*url);
    ASSERT_TRUE(parsed.ok()) << parsed.reason();
    tls_ = std::move(parsed).value();
    ASSERT_TRUE(tls_.tls);
    tls_.ca_file = *ca;
    tls_.password = broker_password();
  }

  // The password the plain URL has (the same user): checked absent from errors.
  std::string broker_password() const { return connection_.nodes.front().password; }

  ConnectionOptions Through(const AmqpUrl& node) const {
    ConnectionOptions options = connection_options();
    options.nodes = {node};
    return options;
  }

  // The error of connecting to `node`, which must fail as unreachable.
  std::string Refusal(const AmqpUrl& node) const {
    try {
      Connection connection(Through(node));
    } catch (const UnavailableError& error) {
      std::string what = error.what();
      EXPECT_EQ(what.find(broker_password()), std::string::npos) << what;
      return what;
    }
    ADD_FAILURE() << "connected to " << node.Redacted();
    return {};
  }

  AmqpUrl tls_;
};

TEST_F(TlsTest, PublishesAndConsumesOverTlsVerifiedByTheCaFile) {
  PublisherOptions publishing;
  publishing.connection = Through(tls_);
  publishing.queue = queue();
  std::vector<std::string> bodies;
  bodies.reserve(2000);
  // Enough to fill many TLS records: the consumer must drain what OpenSSL
  // holds, not only what the socket says is readable.
  for (int i = 0; i < 2000; ++i) bodies.push_back("{\"n\":" + std::to_string(i) + "}");
  ConfirmPublisher(publishing).PublishConfirmed(bodies);

  ConsumerOptions consuming;
  consuming.connection = Through(tls_);
  consuming.queues = {queue()};
  Acker handler;
  Consumer consumer(loop_, consuming, handler);
  handler.consumer = &consumer;
  consumer.Start();
  ASSERT_TRUE(RunUntil([&] { return handler.bodies.size() == bodies.size(); }))
      << handler.bodies.size() << " of " << bodies.size();
  EXPECT_EQ(handler.bodies, bodies);
  ASSERT_TRUE(RunUntil([&] { return consumer.unsettled() == 0; }));
  consumer.Close();
  EXPECT_EQ(Ready(queue().name), 0U);
}

TEST_F(TlsTest, ACertificateFromAnotherCaIsRefused) {
  AmqpUrl other = tls_;
  other.ca_file = (std::filesystem::path(tls_.ca_file).parent_path() / "other-ca.pem").string();
  const std::string what = Refusal(other);
  EXPECT_NE(what.find("does not verify against the CA file '" + other.ca_file + "'"),
            std::string::npos)
      << what;
}

TEST_F(TlsTest, WithoutACaFileTheSystemsCasAreUsedAndDoNotKnowTheTestCa) {
  AmqpUrl system = tls_;
  system.ca_file.clear();
  const std::string what = Refusal(system);
  EXPECT_NE(what.find("does not verify against the system's CAs"), std::string::npos) << what;
}

TEST_F(TlsTest, ACertificateThatDoesNotNameTheHostIsRefused) {
  dcp::testing::TcpRelay relay(tls_.port, "127.0.0.2");
  AmqpUrl elsewhere = tls_;
  elsewhere.host = "127.0.0.2";
  elsewhere.port = relay.port();
  const std::string what = Refusal(elsewhere);
  EXPECT_NE(what.find("does not name the host '127.0.0.2'"), std::string::npos) << what;
}

TEST_F(TlsTest, TlsToAPlainListenerFailsAsUnreachable) {
  AmqpUrl plain = tls_;
  plain.port = connection_.nodes.front().port;
  const std::string what = Refusal(plain);
  EXPECT_NE(what.find(plain.Endpoint()), std::string::npos) << what;
}

TEST_F(TlsTest, ANodeWithABadCertificateIsSkippedForTheNext) {
  AmqpUrl other = tls_;
  other.ca_file = (std::filesystem::path(tls_.ca_file).parent_path() / "other-ca.pem").string();
  ConnectionOptions options = connection_options();
  options.nodes = {other, tls_};
  Connection connection(options);
  EXPECT_EQ(connection.node(), 1U);
}

}  // namespace
}  // namespace dcp::amqp
