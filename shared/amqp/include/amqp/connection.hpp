#pragma once
// One AMQP connection to the broker, with channel 1 open.
#include <chrono>
#include <cstdint>
#include <string>

#include "amqp/amqp_url.hpp"

struct amqp_connection_state_t_;  // rabbitmq-c's connection, kept out of this header

namespace dcp::amqp {

struct ConnectionOptions {
  AmqpUrl url;
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

// RAII owner of a logged-in connection with channel kMainChannel open.
// Construction throws UnavailableError when the broker cannot be reached
// (the message names host:port, never the password) and AmqpError when it
// refuses (bad credentials, unknown vhost). Not thread-safe: a connection
// belongs to the thread that uses it.
class Connection {
 public:
  static constexpr std::uint16_t kMainChannel = 1;

  explicit Connection(const ConnectionOptions& options);
  // Closes gracefully (bounded by rpc_timeout) unless the connection is
  // broken; unacked deliveries then return to their queues.
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Opens another channel; with `confirms`, puts it in publisher-confirm
  // mode (delivery tags of its publishes count from 1).
  void OpenChannel(std::uint16_t channel, bool confirms);

  // After the broker closed `channel` (a failed declare, say): acknowledges
  // the close and opens it again, in confirm mode if it was.
  void ReopenChannel(std::uint16_t channel);

  // The transport failed or the broker closed the connection: the
  // destructor will only drop the socket. Nothing else works afterwards.
  void MarkBroken() { broken_ = true; }
  bool broken() const { return broken_; }

  const std::string& endpoint() const { return endpoint_; }
  int socket_fd() const;

  // For the adapters of this folder (they include <amqp.h>).
  amqp_connection_state_t_* state() const { return state_; }

 private:
  void Login(const ConnectionOptions& options);

  amqp_connection_state_t_* state_ = nullptr;
  std::string endpoint_;
  std::uint32_t confirm_channels_ = 0;  // bit per channel < 32 in confirm mode
  bool broken_ = false;
};

}  // namespace dcp::amqp
