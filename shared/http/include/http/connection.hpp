#pragma once
// One accepted client (internal to dcp_http): reads a request, answers it or
// turns into a Stream, then closes. Owned by its Server; loop thread only.
#include <ev.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "http/message.hpp"
#include "http/request_parser.hpp"
#include "http/server.hpp"

namespace dcp::http {

class Stream;

class Connection {
 public:
  // `client`: the peer's address; `reserved`: accepted into the probe reserve.
  Connection(Server& server, int fd, std::string client, bool reserved);
  // Stops its watchers and closes the socket; detaches the stream silently.
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void Start();
  // Still receiving its request, since accepted_at(): a slow client can be
  // closed to make room (Server::OnAcceptReady).
  bool pending() const { return phase_ == Phase::kReading && hold_ == Server::Hold::kPending; }
  double accepted_at() const { return accepted_at_; }
  bool reserved() const { return reserved_; }
  // Deferred close: stops I/O now; the stream's OnClose and the destruction
  // run from the loop, so this is safe from inside any callback.
  void Close();

  // For Stream: queue bytes and try to send them; false if closing or the
  // stream buffer limit is exceeded (the connection then closes).
  bool Write(std::string_view bytes);
  // For Stream: close once everything queued is sent.
  void FinishAfterFlush();
  // For Stream::Reject: answer `response` instead of streaming.
  void Respond(const Response& response);

 private:
  enum class Phase { kReading, kResponding, kStreaming, kLingering, kClosed };

  void OnReadable();
  void OnWritable();
  void OnTimer();
  void OnDeadline();
  void Dispatch(const Request& request);
  // The response for `route` (null: none) when it is not to be served here:
  // a reserved connection, a Host not allowed, a limit reached.
  std::optional<Response> Refuse(const Request& request, const Server::Route* route);
  void Hold(Server::Hold hold);
  void Flush();
  void AfterFlushed();
  void Arm(double seconds);
  bool ReadAvailable(bool keep);  // false on EOF or error
  void Finalize();                // runs the stream's OnClose, then destroys this

  static void OnIo(struct ev_loop* loop, ev_io* watcher, int events);
  static void OnTimeout(struct ev_loop* loop, ev_timer* watcher, int events);
  static void OnDeadlineTimer(struct ev_loop* loop, ev_timer* watcher, int events);

  Server& server_;
  int fd_;
  std::string client_;  // the peer, then (from a trusted proxy) X-Forwarded-For's
  bool reserved_;
  double accepted_at_ = 0;  // ev_now
  Server::Hold hold_ = Server::Hold::kNothing;
  RequestParser parser_;
  Phase phase_ = Phase::kReading;
  bool finish_after_flush_ = false;
  bool head_only_ = false;
  std::string in_;
  std::string out_;
  std::size_t out_offset_ = 0;
  std::shared_ptr<Stream> stream_;
  ev_io read_io_{};
  ev_io write_io_{};
  ev_timer timer_{};     // request, write stall, linger
  ev_timer deadline_{};  // a waiting request's answer, a stream's age
};

}  // namespace dcp::http
