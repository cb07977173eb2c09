#pragma once
// Test helpers: a raw HTTP client on the same libev loop as the server, and
// a way to run that loop until a condition holds (bounded by a deadline, no
// sleeps).
#include <ev.h>

#include <cstdint>
#include <functional>
#include <string>

namespace dcp::http::testing {

// Runs `loop` until `done()` is true or `deadline_seconds` pass; returns done().
bool RunUntil(struct ev_loop* loop, const std::function<bool()>& done,
              double deadline_seconds = 5.0);

// A client socket connected to 127.0.0.1:port. Whatever the server sends
// accumulates in received(); closed() once the server closed (or reset) it.
class LoopClient {
 public:
  LoopClient(struct ev_loop* loop, std::uint16_t port);
  ~LoopClient();
  LoopClient(const LoopClient&) = delete;
  LoopClient& operator=(const LoopClient&) = delete;

  void Send(const std::string& bytes);  // small writes only (fit the socket buffer)
  void StopReading();                   // let the server's output back up
  void CloseSocket();

  const std::string& received() const { return received_; }
  bool closed() const { return closed_; }
  // The status code of the response received so far, 0 if none.
  int status() const;
  std::string body() const;  // after the blank line

 private:
  static void OnReadable(struct ev_loop* loop, ev_io* watcher, int events);

  struct ev_loop* loop_;
  int fd_ = -1;
  ev_io read_io_{};
  std::string received_;
  bool closed_ = false;
};

// Connects, sends `request`, runs the loop until the server closes; returns
// everything received ("" on deadline).
std::string Exchange(struct ev_loop* loop, std::uint16_t port, const std::string& request);

}  // namespace dcp::http::testing
