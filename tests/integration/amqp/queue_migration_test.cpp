// `dcp queues migrate` (MigrateTaskQueues): queues of the layout before
// issue 15 (quorum mode: a quorum task queue without at-least-once
// dead-lettering, a classic retry queue) move to the current one with their
// messages. The old layout is declared here with rabbitmq-c itself.
#include <amqp.h>

#include <chrono>
#include <string>
#include <vector>

#include "amqp/consumer.hpp"
#include "amqp/queue_topology.hpp"
#include "broker_fixture.hpp"
#include "ports/errors.hpp"

namespace dcp::amqp {
namespace {

amqp_bytes_t Bytes(const std::string& text) {
  return {text.size(), const_cast<char*>(text.data())};  // rabbitmq-c only reads it
}

// The entry points into `value`, which must outlive it: a C string, so that
// a temporary std::string cannot be passed (and dangle) by accident.
amqp_table_entry_t Text(const char* key, const char* value) {
  amqp_table_entry_t entry{};
  entry.key = amqp_cstring_bytes(key);
  entry.value.kind = AMQP_FIELD_KIND_UTF8;
  entry.value.value.bytes = amqp_cstring_bytes(value);
  return entry;
}

// The line MigrateTaskQueues reports for a queue that kept `n` messages.
std::string Kept(const std::string& queue, int n) {
  return queue + ": declared anew, " + std::to_string(n) + " message(s) kept";
}

void RawDeclare(Connection& connection, const std::string& name,
                std::vector<amqp_table_entry_t> arguments) {
  const amqp_table_t table = {static_cast<int>(arguments.size()), arguments.data()};
  amqp_queue_declare(connection.state(), Connection::kMainChannel, Bytes(name), 0, 1, 0, 0, table);
  ASSERT_EQ(amqp_get_rpc_reply(connection.state()).reply_type, AMQP_RESPONSE_NORMAL) << name;
}

void RawPublish(Connection& connection, const std::string& queue, const std::string& body,
                const char* expiration = nullptr) {
  amqp_basic_properties_t properties{};
  properties._flags = AMQP_BASIC_DELIVERY_MODE_FLAG;
  properties.delivery_mode = 2;
  if (expiration != nullptr) {
    properties._flags |= AMQP_BASIC_EXPIRATION_FLAG;
    properties.expiration = amqp_cstring_bytes(expiration);
  }
  ASSERT_EQ(amqp_basic_publish(connection.state(), Connection::kMainChannel, amqp_empty_bytes,
                               Bytes(queue), 0, 0, &properties, Bytes(body)),
            AMQP_STATUS_OK);
}

class QueueMigration : public testing::BrokerTest {
 protected:
  // The layout of dcp until issue 15.
  void DeclareOldLayout() {
    Connection connection = Admin();
    const QueueOptions& q = queue();
    const std::string dead = q.DeadLetterName();
    RawDeclare(connection, dead, {Text("x-queue-type", "quorum")});
    amqp_table_entry_t limit{};
    limit.key = amqp_cstring_bytes("x-delivery-limit");
    limit.value.kind = AMQP_FIELD_KIND_I64;
    limit.value.value.i64 = q.delivery_limit;
    RawDeclare(connection, q.name,
               {Text("x-dead-letter-exchange", ""), Text("x-dead-letter-routing-key", dead.c_str()),
                Text("x-queue-type", "quorum"), limit});
    RawDeclare(
        connection, q.RetryName(),
        {Text("x-dead-letter-exchange", ""), Text("x-dead-letter-routing-key", q.name.c_str())});
  }
};

TEST_F(QueueMigration, AnOldLayoutIsRefusedNamingTheStepAndMovesWithEveryMessage) {
  DeclareOldLayout();
  {
    Connection connection = Admin();
    for (int i = 0; i < 3; ++i) RawPublish(connection, queue().name, "task " + std::to_string(i));
    // Expiry happens at the head of a queue only: the one due soon first.
    RawPublish(connection, queue().RetryName(), "a retry due soon", "300");
    RawPublish(connection, queue().RetryName(), "a retry due in an hour", "3600000");
    RawPublish(connection, queue().DeadLetterName(), "a dead letter");
  }
  ASSERT_TRUE(RunUntil([&] { return Ready(queue().name) == 3; }));
  try {
    Connection connection = Admin();
    DeclareTaskQueues(connection, queue());
    FAIL() << "expected AmqpError";
  } catch (const AmqpError& error) {
    EXPECT_NE(std::string(error.what()).find("dcp queues migrate"), std::string::npos)
        << error.what();
  }

  Connection connection = Admin();
  const std::vector<std::string> done = MigrateTaskQueues(connection, queue());
  ASSERT_EQ(done.size(), 3U);
  EXPECT_EQ(done[0], Kept(queue().DeadLetterName(), 1));
  // The retry due soon may have expired into the task queue before the
  // migration moved the retry queue: 3 + 2 or 4 + 1, never fewer.
  EXPECT_TRUE((done[1] == Kept(queue().name, 3) && done[2] == Kept(queue().RetryName(), 2)) ||
              (done[1] == Kept(queue().name, 4) && done[2] == Kept(queue().RetryName(), 1)))
      << done[1] << "; " << done[2];
  DeclareTaskQueues(connection, queue());  // the layout of this version now
  EXPECT_EQ(Ready(queue().DeadLetterName()), 1U);
  // The retries kept their TTL: the one due soon is back in the task queue,
  // the other still waits.
  EXPECT_TRUE(RunUntil([&] { return Ready(queue().name) == 4; })) << Ready(queue().name);
  EXPECT_EQ(Ready(queue().RetryName()), 1U);
  EXPECT_TRUE(MigrateTaskQueues(connection, queue()).empty()) << "a second run changes nothing";
}

TEST_F(QueueMigration, AQueueWithConsumersIsNotTouched) {
  DeclareOldLayout();
  struct Idle final : ConsumerHandler {
    void OnDelivery(Delivery) override {}
    int connects = 0;
    void OnConnected() override { ++connects; }
  } handler;
  ConsumerOptions options;
  options.connection = connection_options();
  options.queues = {queue()};
  options.declare_queues = false;  // an old worker, consuming from the old layout
  Consumer consumer(loop_, options, handler);
  consumer.Start();
  ASSERT_TRUE(RunUntil([&] { return handler.connects == 1; }));
  Connection connection = Admin();
  try {
    MigrateTaskQueues(connection, queue());
    FAIL() << "expected AmqpError";
  } catch (const AmqpError& error) {
    EXPECT_NE(std::string(error.what()).find("stop the workers"), std::string::npos)
        << error.what();
  }
  consumer.Close();
  EXPECT_EQ(MigrateTaskQueues(connection, queue()).size(), 3U);
}

TEST_F(QueueMigration, AnInterruptedMigrationIsFinished) {
  Connection connection = Admin();
  DeclareTaskQueues(connection, queue());
  // What a migration stopped after emptying the retry queue leaves.
  const std::string hold = queue().RetryName() + ".migrating";
  RawDeclare(connection, hold, {Text("x-queue-type", "quorum")});
  queues_.push_back(QueueOptions{hold, QueueType::kQuorum, 5});
  amqp_table_entry_t held = Text("x-dcp-held-expiration", "300");
  amqp_basic_properties_t properties{};
  properties._flags = AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_HEADERS_FLAG;
  properties.delivery_mode = 2;
  properties.headers = {1, &held};
  ASSERT_EQ(amqp_basic_publish(connection.state(), Connection::kMainChannel, amqp_empty_bytes,
                               Bytes(hold), 0, 0, &properties, amqp_cstring_bytes("held")),
            AMQP_STATUS_OK);
  ASSERT_TRUE(RunUntil([&] { return Ready(hold) == 1; }));

  const std::vector<std::string> done = MigrateTaskQueues(connection, queue());
  ASSERT_EQ(done.size(), 1U);
  EXPECT_EQ(done[0], Kept(queue().RetryName(), 1));
  // Its TTL restored: it expires back into the task queue.
  EXPECT_TRUE(RunUntil([&] { return Ready(queue().name) == 1; }));
}

}  // namespace
}  // namespace dcp::amqp
