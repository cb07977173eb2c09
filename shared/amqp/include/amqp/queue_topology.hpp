#pragma once
// The queues dcp uses: the task queue and its dead-letter queue.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "amqp/connection.hpp"
#include "amqp/message.hpp"

namespace dcp::amqp {

enum class QueueType { kClassic, kQuorum };

struct QueueOptions {
  std::string name = "dcp.tasks";
  // Quorum queues are replicated and count deliveries, which bounds how
  // often a poison message comes back; classic queues are for tests and
  // brokers without quorum support.
  QueueType type = QueueType::kQuorum;
  // Quorum only: deliveries after which the broker dead-letters a message
  // instead of requeueing it (RabbitMQ 4 would otherwise default to 20).
  std::int64_t delivery_limit = 10;  // = CommonSettings::delivery_limit

  // From the binaries' settings (--queue, --queue-type, --delivery-limit);
  // any type other than "classic" is quorum.
  static QueueOptions From(std::string name, std::string_view type, std::int64_t delivery_limit) {
    return {std::move(name), type == "classic" ? QueueType::kClassic : QueueType::kQuorum,
            delivery_limit};
  }
  std::string DeadLetterName() const { return name + ".dead"; }
  // Delayed retries wait here (per-message TTL) and return to the task queue.
  std::string RetryName() const { return name + ".retry"; }
};

// The dead-letter queue's delivery limit in quorum mode: reading a letter
// (dcp dead list) returns it and counts a delivery.
inline constexpr std::int64_t kDeadLetterDeliveryLimit = 1'000'000;

struct QueueStats {
  std::uint32_t messages_ready = 0;
  std::uint32_t consumers = 0;
};

// Declares, durable and idempotently, `<name>.dead`, the task queue
// dead-lettering into it through the default exchange and `<name>.retry`
// dead-lettering into the task queue; in quorum mode all three quorum, with
// at-least-once dead-lettering and delivery limits (docs/design.md, issue
// 15). Throws AmqpError, saying so, when a queue already exists with other
// arguments: the broker never changes them in place (MigrateTaskQueues).
void DeclareTaskQueues(Connection& connection, const QueueOptions& options);

// Moves queues that an earlier version declared with other arguments (a
// classic retry queue, a task queue without at-least-once dead-lettering)
// to DeclareTaskQueues' layout, their messages kept: each is emptied into
// `<queue>.migrating` (every message confirmed there before it is acked),
// deleted, declared anew and filled again. Refuses (AmqpError) a queue that
// has consumers: the workers must be stopped. Idempotent; a migration that
// was interrupted is finished. Returns one line per queue it changed.
std::vector<std::string> MigrateTaskQueues(Connection& connection, const QueueOptions& options);

// Passive declare. Throws AmqpError if the queue does not exist.
QueueStats Inspect(Connection& connection, std::string_view queue);

// Deletes the queue and its messages (no-op if missing). For tests and tools.
void DeleteQueue(Connection& connection, std::string_view queue);

// Takes one message off `queue` with basic.get and auto-ack, or nullopt if
// it is empty. For tools and tests (inspecting dead letters), not workers.
std::optional<Delivery> TakeOne(Connection& connection, std::string_view queue);

}  // namespace dcp::amqp
