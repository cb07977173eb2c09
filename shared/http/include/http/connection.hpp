#pragma once
// One accepted client (internal to dcp_http): reads a request, answers it or
// turns into a Stream, then closes. Owned by its Server; loop thread only.
#include <ev.h>

#include <memory>
#include <string>
#include <string_view>

#include "http/message.hpp"

namespace dcp::http {

class Server;
class Stream;

class Connection {
 public:
  Connection(Server& server, int fd);
  // Stops its watchers and closes the socket; detaches the stream silently.
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void Start();
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
  void Dispatch(const Request& request);
  void Flush();
  void AfterFlushed();
  void Arm(double seconds);
  bool ReadAvailable(bool keep);  // false on EOF or error
  void Finalize();                // runs the stream's OnClose, then destroys this

  static void OnIo(struct ev_loop* loop, ev_io* watcher, int events);
  static void OnTimeout(struct ev_loop* loop, ev_timer* watcher, int events);

  Server& server_;
  int fd_;
  Phase phase_ = Phase::kReading;
  bool finish_after_flush_ = false;
  bool head_only_ = false;
  std::string in_;
  std::string out_;
  std::size_t out_offset_ = 0;
  std::shared_ptr<Stream> stream_;
  ev_io read_io_{};
  ev_io write_io_{};
  ev_timer timer_{};
};

}  // namespace dcp::http
