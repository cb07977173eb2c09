#include "amqp/queue_reader.hpp"

#include <amqp.h>

#include <utility>

#include "amqp/queue_topology.hpp"
#include "get_message.hpp"
#include "rpc_check.hpp"

namespace dcp::amqp {

QueueReader::QueueReader(const ConnectionOptions& options, std::string queue)
    : connection_(options), queue_(std::move(queue)) {}

QueueReader::~QueueReader() = default;  // the connection's close puts back what is held

std::uint32_t QueueReader::Ready() { return Inspect(connection_, queue_).messages_ready; }

std::optional<Delivery> QueueReader::Next() {
  return GetMessage(connection_, queue_, /*no_ack=*/false);
}

void QueueReader::Ack(std::uint64_t tag) {
  CheckStatus(connection_,
              amqp_basic_ack(connection_.state(), Connection::kMainChannel, tag, /*multiple=*/0),
              "acking a message of '" + queue_ + "'");
}

}  // namespace dcp::amqp
