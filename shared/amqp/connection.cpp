#include "amqp/connection.hpp"

#include <amqp.h>
#include <amqp_ssl_socket.h>
#include <amqp_tcp_socket.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/time.h>

#include <array>

#include "ports/errors.hpp"
#include "rpc_check.hpp"

namespace dcp::amqp {
namespace {

constexpr int kFrameMax = 16384;

timeval ToTimeval(std::chrono::milliseconds duration) {
  timeval tv{};
  tv.tv_sec = static_cast<decltype(tv.tv_sec)>(duration.count() / 1000);
  tv.tv_usec = static_cast<decltype(tv.tv_usec)>((duration.count() % 1000) * 1000);
  return tv;
}

amqp_table_entry_t BoolEntry(const char* key, bool value) {
  amqp_table_entry_t entry{};
  entry.key = amqp_cstring_bytes(key);
  entry.value.kind = AMQP_FIELD_KIND_BOOLEAN;
  entry.value.value.boolean = value ? 1 : 0;
  return entry;
}

// The first certificate error OpenSSL met in this thread's handshake
// (X509_V_OK: none), for the message of a failed one.
thread_local int t_certificate_error = X509_V_OK;

int RecordCertificateError(int ok, X509_STORE_CTX* store) {
  if (ok == 0 && t_certificate_error == X509_V_OK)
    t_certificate_error = X509_STORE_CTX_get_error(store);
  return ok;
}

// A TLS socket that verifies the broker's certificate: its chain against
// the URL's CA file (else the system's trust store), and that it names the
// host dialled. The name is OpenSSL's check, not rabbitmq-c's own, which
// knows DNS names only (a certificate for an IP address never matched it).
// TLS 1.2 at least.
amqp_socket_t* NewTlsSocket(amqp_connection_state_t state, const AmqpUrl& url) {
  amqp_socket_t* socket = amqp_ssl_socket_new(state);
  if (socket == nullptr) throw AmqpError("rabbitmq-c: cannot create a TLS socket");
  amqp_ssl_socket_set_verify_peer(socket, 1);
  amqp_ssl_socket_set_verify_hostname(socket, 0);
  if (amqp_ssl_socket_set_ssl_versions(socket, AMQP_TLSv1_2, AMQP_TLSvLATEST) != AMQP_STATUS_OK)
    throw AmqpError("rabbitmq-c: cannot require TLS 1.2");
  auto* context = static_cast<SSL_CTX*>(amqp_ssl_socket_get_context(socket));
  X509_VERIFY_PARAM* param = SSL_CTX_get0_param(context);
  if (X509_VERIFY_PARAM_set1_ip_asc(param, url.host.c_str()) != 1 &&
      X509_VERIFY_PARAM_set1_host(param, url.host.c_str(), 0) != 1) {
    throw AmqpError("cannot verify TLS certificates for the host '" + url.host + "'");
  }
  SSL_CTX_set_verify(context, SSL_CTX_get_verify_mode(context), RecordCertificateError);
  if (url.ca_file.empty()) {
    if (SSL_CTX_set_default_verify_paths(context) != 1)
      throw AmqpError("cannot load the system's CA certificates");
  } else if (const int status = amqp_ssl_socket_set_cacert(socket, url.ca_file.c_str());
             status != AMQP_STATUS_OK) {
    throw AmqpError("cannot load the CA file '" + url.ca_file + "': " + amqp_error_string2(status));
  }
  t_certificate_error = X509_V_OK;
  return socket;
}

// Why a TLS certificate failed verification, for a message that says which
// setting to look at (the CA file, the host in the URL).
std::string CertificateProblem(const AmqpUrl& url) {
  const int error = t_certificate_error;
  if (error == X509_V_ERR_HOSTNAME_MISMATCH || error == X509_V_ERR_IP_ADDRESS_MISMATCH)
    return "does not name the host '" + url.host + "'";
  const std::string against =
      url.ca_file.empty() ? std::string("the system's CAs") : "the CA file '" + url.ca_file + "'";
  return "does not verify against " + against +
         (error == X509_V_OK ? std::string()
                             : " (" + std::string(X509_verify_cert_error_string(error)) + ")");
}

}  // namespace

Connection::Connection(const ConnectionOptions& options, std::size_t first_node) {
  const std::size_t count = options.nodes.size();
  if (count == 0) throw AmqpError("no RabbitMQ node configured");
  std::string unreachable;  // why each node failed, for the error
  std::string refused;
  for (std::size_t i = 0; i < count; ++i) {
    node_ = (first_node + i) % count;
    const AmqpUrl& url = options.nodes[node_];
    endpoint_ = url.Endpoint();
    try {
      Open(options, url);
      if (count > 1) {
        spdlog::info("RabbitMQ: connected to {} (node {} of {})", endpoint_, node_ + 1, count);
      }
      return;
    } catch (const UnavailableError& error) {
      if (count > 1) spdlog::warn("RabbitMQ: {}; trying the next node", error.what());
      unreachable += (unreachable.empty() ? "" : "; ") + std::string(error.what());
    } catch (const AmqpError& error) {
      if (count > 1) spdlog::warn("RabbitMQ: {}; trying the next node", error.what());
      refused += (refused.empty() ? "" : "; ") + std::string(error.what());
    }
  }
  // A refusal is a configuration error, whatever the other nodes did.
  if (!refused.empty()) throw AmqpError(refused);
  throw UnavailableError(count == 1 ? unreachable
                                    : "no RabbitMQ node answered (" + unreachable + ")");
}

void Connection::Open(const ConnectionOptions& options, const AmqpUrl& url) {
  broken_ = false;
  confirm_channels_ = 0;
  state_ = amqp_new_connection();
  if (state_ == nullptr) throw AmqpError("rabbitmq-c: out of memory");
  try {
    amqp_socket_t* socket = url.tls ? NewTlsSocket(state_, url) : amqp_tcp_socket_new(state_);
    if (socket == nullptr) throw AmqpError("rabbitmq-c: cannot create a TCP socket");
    timeval connect_timeout = ToTimeval(options.connect_timeout);
    const int status =
        amqp_socket_open_noblock(socket, url.host.c_str(), url.port, &connect_timeout);
    // A certificate that does not verify is reported as a node that cannot
    // be reached (the next node may do; MySQL's TLS errors are so too).
    if (status == AMQP_STATUS_SSL_PEER_VERIFY_FAILED) {
      throw UnavailableError("cannot reach RabbitMQ at " + endpoint_ + ": its TLS certificate " +
                             CertificateProblem(url));
    }
    if (status != AMQP_STATUS_OK) {
      // rabbitmq-c keeps no OS error here: "a socket error occurred" covers
      // refused, reset and unreachable alike.
      throw UnavailableError("cannot reach RabbitMQ at " + endpoint_ + ": " +
                             amqp_error_string2(status));
    }
    amqp_set_handshake_timeout(state_, &connect_timeout);
    timeval rpc_timeout = ToTimeval(options.rpc_timeout);
    amqp_set_rpc_timeout(state_, &rpc_timeout);
    Login(options, url);
    OpenChannel(kMainChannel, false);
  } catch (...) {
    amqp_destroy_connection(state_);
    state_ = nullptr;
    throw;
  }
}

void Connection::Login(const ConnectionOptions& options, const AmqpUrl& url) {
  std::array<amqp_table_entry_t, 2> capabilities = {BoolEntry("consumer_cancel_notify", true),
                                                    BoolEntry("basic.nack", true)};
  std::array<amqp_table_entry_t, 2> properties{};
  properties[0].key = amqp_cstring_bytes("connection_name");
  properties[0].value.kind = AMQP_FIELD_KIND_UTF8;
  properties[0].value.value.bytes = amqp_cstring_bytes(options.name.c_str());
  properties[1].key = amqp_cstring_bytes("capabilities");
  properties[1].value.kind = AMQP_FIELD_KIND_TABLE;
  properties[1].value.value.table = {static_cast<int>(capabilities.size()), capabilities.data()};
  const amqp_table_t client_properties = {static_cast<int>(properties.size()), properties.data()};

  const amqp_rpc_reply_t reply = amqp_login_with_properties(
      state_, url.vhost.c_str(), 0, kFrameMax, static_cast<int>(options.heartbeat.count()),
      &client_properties, AMQP_SASL_METHOD_PLAIN, url.user.c_str(), url.password.c_str());
  if (reply.reply_type == AMQP_RESPONSE_NORMAL) return;
  broken_ = true;
  const std::string who = "user '" + url.user + "' on vhost '" + url.vhost + "'";
  if (reply.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION) {
    SendConnectionCloseOk(state_);
    throw AmqpError("RabbitMQ at " + endpoint_ + " refused " + who + ": " + DescribeReply(reply));
  }
  // The socket dropped or timed out during the handshake.
  throw UnavailableError("AMQP handshake with " + endpoint_ + " failed for " + who + ": " +
                         DescribeReply(reply));
}

Connection::~Connection() {
  if (!broken_) amqp_connection_close(state_, AMQP_REPLY_SUCCESS);
  amqp_destroy_connection(state_);
}

void Connection::OpenChannel(std::uint16_t channel, bool confirms) {
  amqp_channel_open(state_, channel);
  CheckRpc(*this, amqp_get_rpc_reply(state_), "opening channel " + std::to_string(channel),
           channel);
  if (!confirms) return;
  amqp_confirm_select(state_, channel);
  CheckRpc(*this, amqp_get_rpc_reply(state_), "enabling publisher confirms", channel);
  if (channel < 32) confirm_channels_ |= 1U << channel;
}

void Connection::CloseChannel(std::uint16_t channel) noexcept {
  if (broken_) return;
  if (channel < 32) confirm_channels_ &= ~(1U << channel);
  if (amqp_channel_close(state_, channel, AMQP_REPLY_SUCCESS).reply_type != AMQP_RESPONSE_NORMAL)
    broken_ = true;
}

void Connection::ReopenChannel(std::uint16_t channel) {
  amqp_channel_close_ok_t close_ok{};
  close_ok.dummy = 0;
  if (amqp_send_method(state_, channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &close_ok) != 0) {
    broken_ = true;
    throw AmqpError("lost the connection to " + endpoint_ + " while reopening a channel");
  }
  const bool confirms = channel < 32 && (confirm_channels_ & (1U << channel)) != 0;
  amqp_channel_open(state_, channel);
  if (amqp_get_rpc_reply(state_).reply_type != AMQP_RESPONSE_NORMAL) {
    broken_ = true;
    throw AmqpError("cannot reopen channel " + std::to_string(channel) + " on " + endpoint_);
  }
  if (confirms) {
    amqp_confirm_select(state_, channel);
    if (amqp_get_rpc_reply(state_).reply_type != AMQP_RESPONSE_NORMAL) {
      broken_ = true;
      throw AmqpError("cannot re-enable confirms on " + endpoint_);
    }
  }
}

bool Connection::StillOpen() {
  for (;;) {
    if (broken_) return false;
    pollfd idle{socket_fd(), POLLIN, 0};
    if (!amqp_data_in_buffer(state_) && !amqp_frames_enqueued(state_) && ::poll(&idle, 1, 0) == 0) {
      return true;  // nothing arrived
    }
    timeval none{0, 0};
    amqp_frame_t frame;
    const int status = amqp_simple_wait_frame_noblock(state_, &frame, &none);
    if (status == AMQP_STATUS_TIMEOUT) return true;  // a partial frame, or a heartbeat
    if (status != AMQP_STATUS_OK) {                  // the end of the connection: no frame
      MarkBroken();
      return false;
    }
    const bool closed = frame.frame_type == AMQP_FRAME_METHOD &&
                        (frame.payload.method.id == AMQP_CONNECTION_CLOSE_METHOD ||
                         frame.payload.method.id == AMQP_CHANNEL_CLOSE_METHOD);
    amqp_maybe_release_buffers_on_channel(state_, frame.channel);
    if (closed) MarkBroken();
  }
}

int Connection::socket_fd() const { return amqp_get_sockfd(state_); }

}  // namespace dcp::amqp
