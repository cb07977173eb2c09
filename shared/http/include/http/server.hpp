#pragma once
// A small HTTP/1.1 server on the caller's libev loop: health and readiness
// probes, Prometheus metrics, later a monitor's JSON API and Server-Sent
// Events. One request per connection (every response carries
// `Connection: close`); no TLS, no chunked request bodies.
#include <ev.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "http/address_range.hpp"
#include "http/message.hpp"
#include "http/stream.hpp"

namespace dcp::http {

// The limits that keep one client, or many, from taking the server from the
// others (README, "Hostile input"). A client is its peer address or, when
// the peer is one of `trusted_proxies`, the last X-Forwarded-For entry (the
// one that proxy added).
struct ServerOptions {
  // Numeric IPv4 or IPv6 address. 0.0.0.0 in a container (the kubelet probes
  // the pod IP); 127.0.0.1 to keep it local to the machine.
  std::string bind_address = "0.0.0.0";
  // 0 picks a free port (tests): read it back with port().
  std::uint16_t port = 8080;
  // Request line + headers; beyond it the answer is 431.
  std::size_t max_header_bytes = 16 * 1024;
  // Content-Length above it is answered 413 before the body is read.
  std::size_t max_body_bytes = 64 * 1024;
  // From accept to the whole request: a slow or silent client is answered
  // 408 (or dropped if it sent nothing) and cannot hold a connection longer.
  std::chrono::milliseconds request_timeout{std::chrono::seconds(10)};
  // A client that takes none of our pending output for this long is dropped
  // (responses and streams alike).
  std::chrono::milliseconds write_timeout{std::chrono::seconds(10)};
  // Every open connection. When the general places are taken, a new one
  // takes the place of the connection that has waited longest for its
  // request (a slow client); if none is waiting (all stream or wait for an
  // answer), it goes to the probe reserve, and when that is full too, it is
  // closed.
  std::size_t max_connections = 256;
  // The last `probe_reserve` of them serve probe routes only (HandleProbe):
  // a connection accepted there has `probe_timeout` to ask for one, and any
  // other request is answered 503. So clients holding every other
  // connection cannot fail the kubelet's liveness probe.
  std::size_t probe_reserve = 16;
  std::chrono::milliseconds probe_timeout{std::chrono::seconds(2)};
  // Connections of one client still sending their request (slow clients):
  // beyond it a new one is closed on accept. Trusted proxies are exempt.
  std::size_t max_pending_per_client = 16;
  // Open streams (HandleStream), in all and per client: beyond, 503 and 429.
  std::size_t max_streams = 64;
  std::size_t max_streams_per_client = 8;
  // A stream is ended after this age (an EventSource reconnects by itself).
  std::chrono::milliseconds stream_max_age{std::chrono::minutes(10)};
  // Requests waiting for a deferred answer (HandleDeferred), in all and per
  // client: beyond, 503 and 429. One not answered within `wait_timeout` is
  // answered 503, and its handler's later answer is dropped.
  std::size_t max_waiting = 64;
  std::size_t max_waiting_per_client = 16;
  std::chrono::milliseconds wait_timeout{std::chrono::seconds(10)};
  // A stream whose unsent output exceeds it is closed: a slow consumer must
  // not make the server buffer without limit.
  std::size_t max_stream_buffer_bytes = 1024 * 1024;
  // The proxies whose X-Forwarded-For is believed (the OpenShift router's):
  // numeric addresses or CIDR ranges (AddressRange); empty: the header is
  // ignored. A malformed entry makes the constructor throw invalid_argument.
  std::vector<std::string> trusted_proxies;
  // Host header values served ("name" matches any port, "name:port" that
  // port only; case-insensitive); others are answered 403. Empty: any.
  // Probe routes answer any Host (the kubelet sends the pod's address).
  std::vector<std::string> allowed_hosts;
};

// Runs on the loop thread and must not block it (no database or broker
// calls): read state the service keeps up to date. An exception becomes 500.
using Handler = std::function<Response(const Request&)>;
// Takes over the connection as a stream (see stream.hpp). The stream may be
// kept and written to later, from the loop thread; a deferred one is
// answered later with Stream::Reject.
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
  // Like Handle, and served on the reserved connections and for any Host:
  // the probes and the metrics scrape (cheap, answered at once).
  void HandleProbe(std::string method, std::string path, Handler handler);
  // A response that stays open (SSE), within the stream limits.
  void HandleStream(std::string method, std::string path, StreamHandler handler);
  // A response computed elsewhere: the stream is deferred before the handler
  // runs, and answered with Stream::Reject (from the loop thread) within
  // the wait limits. The stream's OnClose tells the handler's side that the
  // client has gone or the deadline passed, so its work can be dropped.
  void HandleDeferred(std::string method, std::string path, StreamHandler handler);

  // Binds and listens. Throws std::system_error (port in use, no permission)
  // or std::invalid_argument (bind_address is not a numeric address).
  void Start();
  // Stops accepting and closes every connection once the loop turns (stream
  // OnClose callbacks run then). Idempotent.
  void Stop();

  // The bound port (the chosen one when options.port is 0); 0 before Start().
  std::uint16_t port() const { return port_; }
  std::size_t connection_count() const { return connections_.size(); }
  // Open streams and waiting requests now (for tests and metrics).
  std::size_t stream_count() const { return totals_[Hold::kStream]; }
  std::size_t waiting_count() const { return totals_[Hold::kWaiting]; }
  const ServerOptions& options() const { return options_; }

 private:
  friend class Connection;
  enum class RouteKind { kPlain, kProbe, kStream, kDeferred };
  struct Route {
    std::string method;
    std::string path;
    RouteKind kind = RouteKind::kPlain;
    Handler handler;
    StreamHandler stream_handler;
  };
  // What a connection holds, per client and in all.
  enum class Hold { kNothing, kPending, kStream, kWaiting };
  // Counts by Hold (kNothing is not counted).
  struct Holds {
    std::array<std::size_t, 4> of{};
    std::size_t& operator[](Hold hold) { return of[static_cast<std::size_t>(hold)]; }
    std::size_t operator[](Hold hold) const { return of[static_cast<std::size_t>(hold)]; }
    bool Empty() const { return of == decltype(of){}; }
  };
  struct Match {
    const Route* route = nullptr;
    std::string allow;  // when no route has the method: methods of that path, for 405
  };

  Match Find(const std::string& method, const std::string& path) const;
  void AddRoute(Route route);
  bool Trusted(const std::string& address) const;
  bool HostAllowed(const std::string& host) const;
  // Moves a connection's hold of `client` from `from` to `to`.
  void Account(const std::string& client, Hold from, Hold to);
  // 0 if `client` may take one more `hold`, else the status to answer.
  int Refusal(const std::string& client, Hold hold) const;
  void OnAcceptReady();
  void Remove(Connection* connection);  // destroys it; the last thing its callback does
  enum class Place { kGeneral, kReserve, kNone };
  // Where a new connection goes: a general place, the place of the slow
  // client that has waited longest for its request if the general places
  // are all taken (so ordinary clients are not pushed into the probe
  // reserve), else the reserve (again making room there if it is full);
  // kNone when every place streams or waits for an answer.
  Place MakeRoom();
  static void OnAccept(struct ev_loop* loop, ev_io* watcher, int events);
  static void OnAcceptResume(struct ev_loop* loop, ev_timer* watcher, int events);

  struct ev_loop* loop_;
  ServerOptions options_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  ev_io accept_io_{};
  ev_timer accept_resume_{};  // out of file descriptors: retry accepting later
  std::vector<Route> routes_;
  std::vector<AddressRange> trusted_;  // options_.trusted_proxies, parsed
  std::unordered_map<Connection*, std::unique_ptr<Connection>> connections_;
  std::unordered_map<std::string, Holds> clients_;  // only clients holding something
  Holds totals_;
};

}  // namespace dcp::http
