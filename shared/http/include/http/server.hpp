#pragma once
// A small HTTP/1.1 server on the caller's libev loop: health and readiness
// probes, Prometheus metrics, later a monitor's JSON API and Server-Sent
// Events. One request per connection (every response carries
// `Connection: close`); no TLS, no chunked request bodies.
#include <ev.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "http/message.hpp"
#include "http/stream.hpp"

namespace dcp::http {

struct ServerOptions {
  // Numeric IPv4 or IPv6 address. 0.0.0.0 in a container (the kubelet probes
  // the pod IP); 127.0.0.1 to keep it local to the machine.
  std::string bind_address = "0.0.0.0";
  // 0 picks a free port (tests): read it back with port().
  std::uint16_t port = 8080;
  // Request line + headers; beyond it the answer is 431.
  std::size_t max_header_bytes = 16 * 1024;
  // Content-Length above it is answered 413 before the body is read.
  std::size_t max_body_bytes = 1024 * 1024;
  // From accept to the whole request: a slow or silent client is answered
  // 408 (or dropped if it sent nothing) and cannot hold a connection longer.
  std::chrono::milliseconds request_timeout{std::chrono::seconds(10)};
  // A client that takes none of our pending output for this long is dropped
  // (responses and streams alike).
  std::chrono::milliseconds write_timeout{std::chrono::seconds(10)};
  // Connections beyond it are closed on accept; bounds memory and fds.
  std::size_t max_connections = 64;
  // A stream whose unsent output exceeds it is closed: a slow consumer must
  // not make the server buffer without limit.
  std::size_t max_stream_buffer_bytes = 1024 * 1024;
};

// Runs on the loop thread and must not block it (no database or broker
// calls): read state the service keeps up to date. An exception becomes 500.
using Handler = std::function<Response(const Request&)>;
// Takes over the connection as a stream (see stream.hpp). The stream may be
// kept and written to later, from the loop thread.
using StreamHandler = std::function<void(const Request&, std::shared_ptr<Stream>)>;

class Connection;

// Threading: every member, every handler and every Stream call runs on the
// loop's thread. The loop must outlive the server; the server must not be
// destroyed or stopped from inside one of its handlers.
class Server {
 public:
  Server(struct ev_loop* loop, ServerOptions options);
  // Closes the listener and every connection; stream OnClose callbacks are
  // not called (the objects they refer to may already be gone).
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Routes `method` on `path`: a path ending in '/' is a prefix ("/api/runs/"
  // matches "/api/runs/42"), any other must match exactly. Exact beats prefix,
  // longer prefix beats shorter; a later route for the same (method, path)
  // replaces the earlier. HEAD is answered by the GET route without a body.
  // A path with routes for other methods only is answered 405 with Allow;
  // no route at all, 404. Call before or after Start().
  void Handle(std::string method, std::string path, Handler handler);
  void HandleStream(std::string method, std::string path, StreamHandler handler);

  // Binds and listens. Throws std::system_error (port in use, no permission)
  // or std::invalid_argument (bind_address is not a numeric address).
  void Start();
  // Stops accepting and closes every connection once the loop turns (stream
  // OnClose callbacks run then). Idempotent.
  void Stop();

  // The bound port (the chosen one when options.port is 0); 0 before Start().
  std::uint16_t port() const { return port_; }
  std::size_t connection_count() const { return connections_.size(); }
  const ServerOptions& options() const { return options_; }

 private:
  friend class Connection;
  struct Route {
    std::string method;
    std::string path;
    Handler handler;
    StreamHandler stream_handler;
  };
  struct Match {
    const Route* route = nullptr;
    std::string allow;  // when no route has the method: methods of that path, for 405
  };

  Match Find(const std::string& method, const std::string& path) const;
  void AddRoute(Route route);
  void OnAcceptReady();
  void Remove(Connection* connection);  // destroys it; the last thing its callback does
  static void OnAccept(struct ev_loop* loop, ev_io* watcher, int events);
  static void OnAcceptResume(struct ev_loop* loop, ev_timer* watcher, int events);

  struct ev_loop* loop_;
  ServerOptions options_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  ev_io accept_io_{};
  ev_timer accept_resume_{};  // out of file descriptors: retry accepting later
  std::vector<Route> routes_;
  std::unordered_map<Connection*, std::unique_ptr<Connection>> connections_;
};

}  // namespace dcp::http
