#pragma once
// One AMQP connection to the broker, with channel 1 open.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "amqp/amqp_url.hpp"

struct amqp_connection_state_t_;  // rabbitmq-c's connection, kept out of this header

namespace dcp::amqp {

struct ConnectionOptions {
  // Tried in turn (see Connection); at least one.
  AmqpNodes nodes{AmqpUrl{}};
  // Both sides send heartbeats at this period; a peer silent for two periods
  // is dead. Short enough to notice a lost broker, long enough for a busy
  // loop to keep up. 0 disables them (not recommended).
  std::chrono::seconds heartbeat{10};
  // Bounds the TCP connect and the AMQP handshake.
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(5)};
  // Bounds every synchronous request (declare, qos, close...).
  std::chrono::milliseconds rpc_timeout{std::chrono::seconds(30)};
  // Shown by the management UI / rabbitmqctl list_connections.
  std::string name = "dcp";
};

// RAII owner of a logged-in connection with channel kMainChannel open, to
// the first of the nodes that answers, trying them in turn from
// `first_node` (a client whose connection was lost passes the node after
// that one's, NextNode(), so that it moves on). Construction throws
// UnavailableError when no node can be reached (the message names each
// host:port, never a password) and AmqpError when a node refused (bad
// credentials, unknown vhost) and none accepted. Not thread-safe: a
// connection belongs to the thread that uses it.
class Connection {
 public:
  static constexpr std::uint16_t kMainChannel = 1;

  explicit Connection(const ConnectionOptions& options, std::size_t first_node = 0);
  // Closes gracefully (bounded by rpc_timeout) unless the connection is
  // broken; unacked deliveries then return to their queues.
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Opens another channel; with `confirms`, puts it in publisher-confirm
  // mode (delivery tags of its publishes count from 1).
  void OpenChannel(std::uint16_t channel, bool confirms);
  // Closes a channel that OpenChannel opened (not kMainChannel); does
  // nothing on a broken connection, never throws.
  void CloseChannel(std::uint16_t channel) noexcept;

  // After the broker closed `channel` (a failed declare, say): acknowledges
  // the close and opens it again, in confirm mode if it was.
  void ReopenChannel(std::uint16_t channel);

  // The transport failed or the broker closed the connection: the
  // destructor will only drop the socket. Nothing else works afterwards.
  void MarkBroken() { broken_ = true; }
  bool broken() const { return broken_; }

  // For a client that lets the connection idle between uses (a publisher):
  // nothing calls into rabbitmq-c meanwhile, so no heartbeat is sent and
  // the broker closes the connection after two periods. Reads, without
  // waiting, what arrived while idle; false (and broken) if that was the end
  // of the connection or a close. Heartbeats and frames nobody waits for are
  // dropped, so call it only with nothing in flight.
  bool StillOpen();

  // host:port of the node in use, and its position in the options' nodes.
  const std::string& endpoint() const { return endpoint_; }
  std::size_t node() const { return node_; }
  // Where the next connection should start once this one is lost.
  std::size_t NextNode() const { return node_ + 1; }
  int socket_fd() const;

  // For the adapters of this folder (they include <amqp.h>).
  amqp_connection_state_t_* state() const { return state_; }

 private:
  // One node: on success state_ is logged in with kMainChannel open; on
  // failure it is destroyed again and the error thrown.
  void Open(const ConnectionOptions& options, const AmqpUrl& url);
  void Login(const ConnectionOptions& options, const AmqpUrl& url);

  amqp_connection_state_t_* state_ = nullptr;
  std::string endpoint_;
  std::size_t node_ = 0;
  std::uint32_t confirm_channels_ = 0;  // bit per channel < 32 in confirm mode
  bool broken_ = false;
};

}  // namespace dcp::amqp
