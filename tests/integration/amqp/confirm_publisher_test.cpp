#include "amqp/confirm_publisher.hpp"

#include <algorithm>
#include <chrono>
#include <iostream>
#include <vector>

#include "broker_fixture.hpp"
#include "ports/errors.hpp"

namespace dcp::amqp {
namespace {

class ConfirmPublisherTest : public testing::BrokerTest {
 protected:
  PublisherOptions Options() const {
    PublisherOptions options;
    options.connection = connection_options();
    options.queue = queue();
    return options;
  }
};

std::vector<std::string> Bodies(std::size_t count) {
  std::vector<std::string> bodies;
  bodies.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    bodies.push_back(R"({"task_id":")" + std::to_string(i) + R"(","selection":"1"})");
  }
  return bodies;
}

TEST_F(ConfirmPublisherTest, EveryConfirmedMessageIsInTheQueue) {
  ConfirmPublisher publisher(Options());
  publisher.PublishConfirmed(Bodies(500));
  publisher.PublishConfirmed(Bodies(7));
  EXPECT_EQ(Ready(queue().name), 507U);
}

TEST_F(ConfirmPublisherTest, PublishingToAMissingQueueThrows) {
  ConfirmPublisher publisher(Options());
  try {
    publisher.PublishConfirmed(queue().name + ".nope", "{}", {});
    FAIL() << "expected AmqpError";
  } catch (const AmqpError& error) {
    EXPECT_NE(std::string(error.what()).find("does not exist"), std::string::npos) << error.what();
  }
  // The next call reconnects and works.
  publisher.PublishConfirmed(Bodies(1));
  EXPECT_EQ(Ready(queue().name), 1U);
}

TEST_F(ConfirmPublisherTest, PublishesWithHeaders) {
  ConfirmPublisher publisher(Options());
  publisher.PublishConfirmed(queue().DeadLetterName(), R"({"x":1})",
                             {{"x-dcp-reason", "end before start"}});
  Connection admin = Admin();
  const auto message = TakeOne(admin, queue().DeadLetterName());
  ASSERT_TRUE(message.has_value());
  EXPECT_EQ(message->body, R"({"x":1})");
  const auto reason = std::find_if(message->headers.begin(), message->headers.end(),
                                   [](const Header& h) { return h.name == "x-dcp-reason"; });
  ASSERT_NE(reason, message->headers.end());
  EXPECT_EQ(reason->value, "end before start");
}

TEST_F(ConfirmPublisherTest, PublishesHundredThousandConfirmed) {
  constexpr std::size_t kCount = 100'000;
  const auto bodies = Bodies(kCount);
  ConfirmPublisher publisher(Options());
  const auto start = std::chrono::steady_clock::now();
  publisher.PublishConfirmed(bodies);
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  const double rate = static_cast<double>(kCount) / elapsed.count();
  std::cout << "confirmed " << kCount << " messages in " << elapsed.count() << " s: " << rate
            << " msg/s\n";
  RecordProperty("confirmed_per_second", static_cast<int>(rate));
  EXPECT_EQ(Ready(queue().name), kCount);
}

}  // namespace
}  // namespace dcp::amqp
