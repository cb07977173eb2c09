#include "amqp/queue_topology.hpp"

#include <amqp.h>

#include <utility>
#include <vector>

#include "get_message.hpp"
#include "ports/errors.hpp"
#include "rpc_check.hpp"

namespace dcp::amqp {
namespace {

constexpr int kPreconditionFailed = 406;
constexpr int kNotFound = 404;

amqp_bytes_t Bytes(std::string_view text) {
  amqp_bytes_t bytes;
  bytes.len = text.size();
  bytes.bytes = const_cast<char*>(text.data());  // rabbitmq-c only reads it
  return bytes;
}

amqp_table_entry_t StringArg(const char* key, std::string_view value) {
  amqp_table_entry_t entry{};
  entry.key = amqp_cstring_bytes(key);
  entry.value.kind = AMQP_FIELD_KIND_UTF8;
  entry.value.value.bytes = Bytes(value);
  return entry;
}

amqp_table_entry_t IntArg(const char* key, std::int64_t value) {
  amqp_table_entry_t entry{};
  entry.key = amqp_cstring_bytes(key);
  entry.value.kind = AMQP_FIELD_KIND_I64;
  entry.value.value.i64 = value;
  return entry;
}

void Declare(Connection& connection, std::string_view queue,
             std::vector<amqp_table_entry_t> arguments) {
  const amqp_table_t table = {static_cast<int>(arguments.size()), arguments.data()};
  amqp_queue_declare(connection.state(), Connection::kMainChannel, Bytes(queue), /*passive=*/0,
                     /*durable=*/1, /*exclusive=*/0, /*auto_delete=*/0, table);
  const amqp_rpc_reply_t reply = amqp_get_rpc_reply(connection.state());
  std::string what = "declaring queue '" + std::string(queue) + "'";
  if (CloseCode(reply) == kPreconditionFailed) {
    what = "queue '" + std::string(queue) +
           "' already exists with other arguments than dcp declares; delete it or configure "
           "the matching queue type and delivery limit";
  }
  CheckRpc(connection, reply, what);
}

}  // namespace

void DeclareTaskQueues(Connection& connection, const QueueOptions& options) {
  const std::string dead = options.DeadLetterName();
  const bool quorum = options.type == QueueType::kQuorum;
  std::vector<amqp_table_entry_t> dead_args;
  if (quorum) dead_args.push_back(StringArg("x-queue-type", "quorum"));

  std::vector<amqp_table_entry_t> task_args = {StringArg("x-dead-letter-exchange", ""),
                                               StringArg("x-dead-letter-routing-key", dead)};
  if (quorum) {
    task_args.push_back(StringArg("x-queue-type", "quorum"));
    task_args.push_back(IntArg("x-delivery-limit", options.delivery_limit));
  }
  // Classic: per-message expiration is what delays a retry; expired
  // messages dead-letter back into the task queue.
  std::vector<amqp_table_entry_t> retry_args = {
      StringArg("x-dead-letter-exchange", ""),
      StringArg("x-dead-letter-routing-key", options.name)};
  Declare(connection, dead, std::move(dead_args));
  Declare(connection, options.name, std::move(task_args));
  Declare(connection, options.RetryName(), std::move(retry_args));
}

QueueStats Inspect(Connection& connection, std::string_view queue) {
  const amqp_queue_declare_ok_t* ok =
      amqp_queue_declare(connection.state(), Connection::kMainChannel, Bytes(queue),
                         /*passive=*/1, 0, 0, 0, amqp_empty_table);
  const amqp_rpc_reply_t reply = amqp_get_rpc_reply(connection.state());
  CheckRpc(connection, reply,
           (CloseCode(reply) == kNotFound ? "queue '" + std::string(queue) + "' does not exist"
                                          : "inspecting queue '" + std::string(queue) + "'"));
  return QueueStats{ok->message_count, ok->consumer_count};
}

void DeleteQueue(Connection& connection, std::string_view queue) {
  amqp_queue_delete(connection.state(), Connection::kMainChannel, Bytes(queue), 0, 0);
  CheckRpc(connection, amqp_get_rpc_reply(connection.state()),
           "deleting queue '" + std::string(queue) + "'");
}

std::optional<Delivery> TakeOne(Connection& connection, std::string_view queue) {
  return GetMessage(connection, queue, /*no_ack=*/true);
}

}  // namespace dcp::amqp
