#include "amqp/queue_topology.hpp"

#include <amqp.h>

#include <chrono>
#include <optional>
#include <utility>
#include <vector>

#include "get_message.hpp"
#include "ports/errors.hpp"
#include "rpc_check.hpp"

namespace dcp::amqp {
namespace {

constexpr int kPreconditionFailed = 406;
constexpr int kNotFound = 404;
// MigrateTaskQueues publishes the messages it moves here, in confirm mode.
constexpr std::uint16_t kMigrationChannel = Connection::kMainChannel + 1;

amqp_bytes_t Bytes(std::string_view text) {
  amqp_bytes_t bytes;
  bytes.len = text.size();
  bytes.bytes = const_cast<char*>(text.data());  // rabbitmq-c only reads it
  return bytes;
}

// A queue argument: a string or an integer.
struct Argument {
  const char* key;
  std::string text;
  std::optional<std::int64_t> number;  // set: an integer argument
};

// What dcp declares: a queue and its arguments.
struct QueueLayout {
  std::string name;
  std::vector<Argument> arguments;
};

// `<name>.dead`, the task queue dead-lettering into it, and `<name>.retry`
// dead-lettering (on expiry) back into the task queue, in that order of
// declaration (a dead-letter target first).
std::vector<QueueLayout> Layout(const QueueOptions& options) {
  const std::string dead = options.DeadLetterName();
  QueueLayout dead_queue{dead, {}};
  QueueLayout task{options.name,
                   {{"x-dead-letter-exchange", "", {}}, {"x-dead-letter-routing-key", dead, {}}}};
  // Per-message TTL is what delays a retry (quorum queues honour it from
  // 3.10); an expired retry dead-letters back into the task queue.
  QueueLayout retry{
      options.RetryName(),
      {{"x-dead-letter-exchange", "", {}}, {"x-dead-letter-routing-key", options.name, {}}}};
  if (options.type == QueueType::kQuorum) {
    // Every queue replicated, so that none is lost with one node (a classic
    // retry queue on a dead node could not even be declared). Quorum
    // dead-lettering is at-most-once by default: a message on its way from
    // the task queue to .dead (past the delivery limit) or from .retry back
    // to the task queue is lost if the target cannot take it. At-least-once
    // keeps it in its queue until the target confirms; it needs
    // reject-publish overflow (no length limit is set: nothing is refused
    // for it).
    for (QueueLayout* queue : {&dead_queue, &task, &retry}) {
      queue->arguments.push_back({"x-queue-type", "quorum", {}});
    }
    for (QueueLayout* queue : {&task, &retry}) {
      queue->arguments.push_back({"x-dead-letter-strategy", "at-least-once", {}});
      queue->arguments.push_back({"x-overflow", "reject-publish", {}});
    }
    task.arguments.push_back({"x-delivery-limit", "", options.delivery_limit});
    // Read dead letters (dcp dead list) go back, and each return counts a
    // delivery: past a limit a queue without a dead-letter target drops the
    // message (RabbitMQ 4 sets 20 by default). A limit no reading reaches.
    dead_queue.arguments.push_back({"x-delivery-limit", "", kDeadLetterDeliveryLimit});
    // .retry is never consumed: no delivery is ever counted there.
  }
  return {std::move(dead_queue), std::move(task), std::move(retry)};
}

// False when the queue exists with other arguments (406: the channel was
// reopened; `refusal` gets the broker's words); throws AmqpError for any
// other failure.
bool TryDeclare(Connection& connection, const QueueLayout& queue, std::string* refusal = nullptr) {
  std::vector<amqp_table_entry_t> entries;
  for (const Argument& argument : queue.arguments) {
    amqp_table_entry_t entry{};
    entry.key = amqp_cstring_bytes(argument.key);
    if (argument.number) {
      entry.value.kind = AMQP_FIELD_KIND_I64;
      entry.value.value.i64 = *argument.number;
    } else {
      entry.value.kind = AMQP_FIELD_KIND_UTF8;
      entry.value.value.bytes = Bytes(argument.text);
    }
    entries.push_back(entry);
  }
  const amqp_table_t table = {static_cast<int>(entries.size()), entries.data()};
  amqp_queue_declare(connection.state(), Connection::kMainChannel, Bytes(queue.name),
                     /*passive=*/0, /*durable=*/1, /*exclusive=*/0, /*auto_delete=*/0, table);
  const amqp_rpc_reply_t reply = amqp_get_rpc_reply(connection.state());
  const bool other_arguments = CloseCode(reply) == kPreconditionFailed;
  try {
    CheckRpc(connection, reply, "declaring queue '" + queue.name + "'");
  } catch (const AmqpError& error) {
    if (!other_arguments || connection.broken()) throw;
    if (refusal != nullptr) *refusal = error.what();
    return false;
  }
  return true;
}

void Declare(Connection& connection, const QueueLayout& queue) {
  std::string refusal;
  if (TryDeclare(connection, queue, &refusal)) return;
  throw AmqpError("queue '" + queue.name +
                  "' already exists with other arguments than dcp declares (an earlier "
                  "version's layout, or another queue type or delivery limit): run `dcp queues "
                  "migrate` with the workers stopped, or configure the matching queue type and "
                  "delivery limit; " +
                  refusal);
}

bool Exists(Connection& connection, std::string_view queue) {
  amqp_queue_declare(connection.state(), Connection::kMainChannel, Bytes(queue), /*passive=*/1, 0,
                     0, 0, amqp_empty_table);
  const amqp_rpc_reply_t reply = amqp_get_rpc_reply(connection.state());
  if (CloseCode(reply) != kNotFound) {
    CheckRpc(connection, reply, "inspecting queue '" + std::string(queue) + "'");
    return true;
  }
  try {
    CheckRpc(connection, reply, "");  // reopens the channel
  } catch (const AmqpError&) {
    if (connection.broken()) throw;
  }
  return false;
}

// A message waiting in a holding queue keeps its per-message TTL here
// instead of in its expiration property, so that it never expires there
// (a holding queue dead-letters nowhere).
constexpr const char* kHeldExpiration = "x-dcp-held-expiration";

// Moves every message of `from` to `to`, each published (properties and all)
// and confirmed before it is acked. `into_hold`: the expiration property
// goes into a header; else a header made so goes back into the property.
// `published` counts the publishes on kMigrationChannel (the delivery tag of
// the last). Returns how many were moved.
std::size_t MoveAll(Connection& connection, std::string_view from, std::string_view to,
                    bool into_hold, std::uint64_t& published) {
  std::size_t moved = 0;
  for (;;) {
    const amqp_rpc_reply_t reply =
        amqp_basic_get(connection.state(), Connection::kMainChannel, Bytes(from), /*no_ack=*/0);
    CheckRpc(connection, reply, "getting from queue '" + std::string(from) + "'");
    if (reply.reply.id == AMQP_BASIC_GET_EMPTY_METHOD) return moved;
    const std::uint64_t tag =
        static_cast<const amqp_basic_get_ok_t*>(reply.reply.decoded)->delivery_tag;
    amqp_message_t message;
    CheckRpc(connection,
             amqp_read_message(connection.state(), Connection::kMainChannel, &message, 0),
             "reading from queue '" + std::string(from) + "'");
    amqp_basic_properties_t properties = message.properties;
    std::vector<amqp_table_entry_t> headers;
    if ((properties._flags & AMQP_BASIC_HEADERS_FLAG) != 0) {
      for (int i = 0; i < properties.headers.num_entries; ++i) {
        const amqp_table_entry_t& entry = properties.headers.entries[i];
        const std::string_view key(static_cast<const char*>(entry.key.bytes), entry.key.len);
        if (!into_hold && key == kHeldExpiration && entry.value.kind == AMQP_FIELD_KIND_UTF8) {
          properties.expiration = entry.value.value.bytes;
          properties._flags |= AMQP_BASIC_EXPIRATION_FLAG;
          continue;
        }
        headers.push_back(entry);
      }
    }
    if (into_hold && (properties._flags & AMQP_BASIC_EXPIRATION_FLAG) != 0) {
      amqp_table_entry_t held{};
      held.key = amqp_cstring_bytes(kHeldExpiration);
      held.value.kind = AMQP_FIELD_KIND_UTF8;
      held.value.value.bytes = properties.expiration;
      headers.push_back(held);
      properties._flags &= ~static_cast<amqp_flags_t>(AMQP_BASIC_EXPIRATION_FLAG);
    }
    properties.headers = {static_cast<int>(headers.size()), headers.data()};
    if (!headers.empty()) properties._flags |= AMQP_BASIC_HEADERS_FLAG;
    const int status =
        amqp_basic_publish(connection.state(), kMigrationChannel, amqp_empty_bytes, Bytes(to),
                           /*mandatory=*/0, /*immediate=*/0, &properties, message.body);
    amqp_destroy_message(&message);
    CheckStatus(connection, status, "moving a message to '" + std::string(to) + "'");
    AwaitConfirm(connection, ++published, std::chrono::seconds(30), "a moved message");
    CheckStatus(connection,
                amqp_basic_ack(connection.state(), Connection::kMainChannel, tag, /*multiple=*/0),
                "acking a moved message");
    amqp_maybe_release_buffers(connection.state());
    ++moved;
  }
}

}  // namespace

void DeclareTaskQueues(Connection& connection, const QueueOptions& options) {
  for (const QueueLayout& queue : Layout(options)) Declare(connection, queue);
}

std::vector<std::string> MigrateTaskQueues(Connection& connection, const QueueOptions& options) {
  connection.OpenChannel(kMigrationChannel, /*confirms=*/true);
  struct CloseOnReturn {
    Connection& connection;
    ~CloseOnReturn() { connection.CloseChannel(kMigrationChannel); }
  } close_on_return{connection};
  std::uint64_t published = 0;
  const std::vector<QueueLayout> layout = Layout(options);
  const auto holding = [&options](const QueueLayout& queue) {
    QueueLayout hold{queue.name + ".migrating", {}};
    if (options.type == QueueType::kQuorum)
      hold.arguments.push_back({"x-queue-type", "quorum", {}});
    return hold;
  };
  // First every queue to change is emptied into its holding queue, in the
  // reverse order of declaration: the retry queue before the task queue
  // that its retries expire into, the task queue before the dead-letter
  // queue. So nothing is ever dead-lettered into a queue that is not there,
  // and a retry waits in a holding queue, where nothing expires.
  std::vector<bool> changed(layout.size(), false);
  for (std::size_t i = layout.size(); i-- > 0;) {
    if (TryDeclare(connection, layout[i])) continue;
    const QueueStats stats = Inspect(connection, layout[i].name);
    if (stats.consumers > 0) {
      throw AmqpError("queue '" + layout[i].name + "' has " + std::to_string(stats.consumers) +
                      " consumer(s): stop the workers before migrating it");
    }
    const QueueLayout hold = holding(layout[i]);
    Declare(connection, hold);
    MoveAll(connection, layout[i].name, hold.name, /*into_hold=*/true, published);
    DeleteQueue(connection, layout[i].name);
    changed[i] = true;
  }
  // Then each is declared anew and filled again; a holding queue that an
  // interrupted migration left is emptied too.
  std::vector<std::string> done;
  for (std::size_t i = 0; i < layout.size(); ++i) {
    Declare(connection, layout[i]);
    const std::string hold = holding(layout[i]).name;
    if (!Exists(connection, hold)) {
      if (changed[i]) done.push_back(layout[i].name + ": declared anew, empty");
      continue;
    }
    const std::size_t kept =
        MoveAll(connection, hold, layout[i].name, /*into_hold=*/false, published);
    DeleteQueue(connection, hold);
    done.push_back(layout[i].name + ": declared anew, " + std::to_string(kept) +
                   " message(s) kept");
  }
  return done;
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
