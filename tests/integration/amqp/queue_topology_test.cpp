#include "amqp/queue_topology.hpp"

#include "broker_fixture.hpp"
#include "ports/errors.hpp"

namespace dcp::amqp {
namespace {

using QueueTopology = testing::BrokerTest;

TEST_F(QueueTopology, DeclaringTwiceIsHarmless) {
  Connection connection = Admin();
  DeclareTaskQueues(connection, queue());
  DeclareTaskQueues(connection, queue());
  EXPECT_EQ(Inspect(connection, queue().name).messages_ready, 0U);
  EXPECT_EQ(Inspect(connection, queue().DeadLetterName()).consumers, 0U);
}

TEST_F(QueueTopology, ConflictingArgumentsGiveAClearError) {
  Connection connection = Admin();
  DeclareTaskQueues(connection, queue());
  QueueOptions classic = queue();
  classic.type = QueueType::kClassic;
  try {
    DeclareTaskQueues(connection, classic);
    FAIL() << "expected AmqpError";
  } catch (const AmqpError& error) {
    const std::string what = error.what();
    EXPECT_NE(what.find("already exists with other arguments"), std::string::npos) << what;
    EXPECT_NE(what.find("PRECONDITION_FAILED"), std::string::npos) << what;
  }
  // The channel was reopened: the connection is still usable.
  EXPECT_EQ(Inspect(connection, queue().name).messages_ready, 0U);
}

TEST_F(QueueTopology, InspectingAMissingQueueSaysSo) {
  Connection connection = Admin();
  try {
    (void)Inspect(connection, queue().name);
    FAIL() << "expected AmqpError";
  } catch (const AmqpError& error) {
    EXPECT_NE(std::string(error.what()).find("does not exist"), std::string::npos) << error.what();
  }
}

TEST_F(QueueTopology, UnreachableBrokerNamesHostAndPortButNotThePassword) {
  ConnectionOptions options = connection_options();
  AmqpUrl& url = options.nodes.front();
  url.port = 1;  // nothing listens there
  url.password = "s3cret-pw";
  try {
    Connection connection(options);
    FAIL() << "expected UnavailableError";
  } catch (const UnavailableError& error) {
    const std::string what = error.what();
    EXPECT_NE(what.find(url.host + ":1"), std::string::npos) << what;
    EXPECT_EQ(what.find("s3cret-pw"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
}

TEST_F(QueueTopology, WrongPasswordIsRefusedWithoutEchoingIt) {
  ConnectionOptions options = connection_options();
  options.nodes.front().password = "s3cret-wrong";
  try {
    Connection connection(options);
    FAIL() << "expected a refusal";
  } catch (const std::runtime_error& error) {
    const std::string what = error.what();
    EXPECT_EQ(what.find("s3cret-wrong"), std::string::npos) << what;
    EXPECT_NE(what.find(options.nodes.front().Endpoint()), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace dcp::amqp
