#pragma once
// A response that stays open: Server-Sent Events (text/event-stream) or any
// other body written piece by piece. Given to a StreamHandler, which may keep
// the shared_ptr and write later (a monitor pushing run progress).
#include <functional>
#include <string>
#include <string_view>

#include "http/message.hpp"

namespace dcp::http {

class Connection;

// Threading: loop thread only, like the server that made it. Lifetime: the
// holder's shared_ptr keeps the object; the connection may go at any time
// (client gone, too slow, server stopped), after which open() is false and
// every Send returns false. Writes never block: they queue (bounded by
// ServerOptions::max_stream_buffer_bytes; past it the stream is closed).
class Stream {
 public:
  explicit Stream(Connection* connection) : connection_(connection) {}
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  // Before the first Send: the content type of the 200 response (default
  // text/event-stream; headers also say no-cache and no proxy buffering).
  void SetContentType(std::string content_type) { content_type_ = std::move(content_type); }
  // Before the first Send: answer with `response` instead and close. For a
  // handler that finds it cannot stream (404 for an unknown run, say).
  // Returns false if the stream already started or is closed.
  bool Reject(const Response& response);
  // Called by the handler before it returns: the answer comes later, through
  // Reject (a response computed on another thread, handed back to the loop).
  // No headers are sent meanwhile; the client waits.
  void Defer() { deferred_ = true; }

  // Raw bytes; sends the headers first if not yet sent. false once closed.
  bool Send(std::string_view bytes);
  // One SSE event: optional "event:" and "id:" lines, `data` split into
  // "data:" lines at newlines, then a blank line.
  bool SendEvent(std::string_view data, std::string_view event = {}, std::string_view id = {});
  // ": text" and a blank line; clients ignore it, proxies see traffic.
  bool SendComment(std::string_view text);

  // Ends the response after what is queued has been sent.
  void Close();
  bool open() const { return connection_ != nullptr; }
  // Called once, from the loop (never from inside a Send or Close), when the
  // stream ends for any reason but server destruction.
  void OnClose(std::function<void()> callback) { on_close_ = std::move(callback); }

 private:
  friend class Connection;
  bool SendHeadersIfNeeded();
  void Detach() { connection_ = nullptr; }

  Connection* connection_;
  std::string content_type_ = "text/event-stream";
  bool started_ = false;
  bool deferred_ = false;
  std::function<void()> on_close_;
};

}  // namespace dcp::http
