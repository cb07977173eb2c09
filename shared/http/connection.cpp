#include "http/connection.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include "http/request_parser.hpp"
#include "http/server.hpp"
#include "http/stream.hpp"

namespace dcp::http {
namespace {

constexpr std::size_t kReadChunk = 16 * 1024;
// After the response, how long to drain what the client still sends before
// closing (closing with unread input would reset the connection and could
// destroy the response in flight).
constexpr double kLingerSeconds = 1.0;

double Seconds(std::chrono::milliseconds ms) { return static_cast<double>(ms.count()) / 1000.0; }

// The client a trusted proxy names in X-Forwarded-For: the last entry, the
// one the proxy appended (earlier ones are the client's word); none if empty.
std::optional<std::string> ProxiedClient(std::string_view forwarded) {
  if (const auto comma = forwarded.rfind(','); comma != std::string_view::npos) {
    forwarded.remove_prefix(comma + 1);
  }
  while (!forwarded.empty() && forwarded.front() == ' ') forwarded.remove_prefix(1);
  while (!forwarded.empty() && forwarded.back() == ' ') forwarded.remove_suffix(1);
  if (forwarded.empty()) return std::nullopt;
  return std::string(forwarded);
}

}  // namespace

Connection::Connection(Server& server, int fd, std::string client, bool reserved)
    : server_(server),
      fd_(fd),
      client_(std::move(client)),
      reserved_(reserved),
      parser_({server.options_.max_header_bytes, server.options_.max_body_bytes}) {
  ev_io_init(&read_io_, &Connection::OnIo, fd_, EV_READ);
  ev_io_init(&write_io_, &Connection::OnIo, fd_, EV_WRITE);
  ev_init(&timer_, &Connection::OnTimeout);
  ev_init(&deadline_, &Connection::OnDeadlineTimer);
  read_io_.data = write_io_.data = timer_.data = deadline_.data = this;
}

Connection::~Connection() {
  ev_io_stop(server_.loop_, &read_io_);
  ev_io_stop(server_.loop_, &write_io_);
  ev_timer_stop(server_.loop_, &timer_);
  ev_timer_stop(server_.loop_, &deadline_);
  Hold(Server::Hold::kNothing);
  if (stream_) stream_->Detach();
  ::close(fd_);
}

void Connection::Start() {
  accepted_at_ = ev_now(server_.loop_);
  Hold(Server::Hold::kPending);
  ev_io_start(server_.loop_, &read_io_);
  Arm(Seconds(reserved_ ? server_.options_.probe_timeout : server_.options_.request_timeout));
}

void Connection::Hold(Server::Hold hold) {
  server_.Account(client_, hold_, hold);
  hold_ = hold;
}

void Connection::Arm(double seconds) {
  ev_timer_stop(server_.loop_, &timer_);
  ev_timer_set(&timer_, seconds, 0.);
  ev_timer_start(server_.loop_, &timer_);
}

void Connection::Close() {
  if (phase_ == Phase::kClosed) return;
  phase_ = Phase::kClosed;
  Hold(Server::Hold::kNothing);
  ev_timer_stop(server_.loop_, &deadline_);
  ev_io_stop(server_.loop_, &read_io_);
  ev_io_stop(server_.loop_, &write_io_);
  if (stream_) stream_->Detach();
  Arm(0.);  // OnTimeout finalizes
}

void Connection::OnIo(struct ev_loop*, ev_io* watcher, int) {
  auto* self = static_cast<Connection*>(watcher->data);
  if (watcher == &self->read_io_) {
    self->OnReadable();
  } else {
    self->OnWritable();
  }
}

void Connection::OnTimeout(struct ev_loop*, ev_timer* watcher, int) {
  auto* self = static_cast<Connection*>(watcher->data);
  if (self->phase_ != Phase::kClosed) {
    self->OnTimer();
    return;
  }
  // Destroy first, then tell the stream's holder: the callback may do
  // anything on the loop, including writing to other streams.
  auto stream = std::move(self->stream_);
  self->server_.Remove(self);
  if (stream && stream->on_close_) {
    auto callback = std::move(stream->on_close_);
    callback();
  }
}

void Connection::OnDeadlineTimer(struct ev_loop*, ev_timer* watcher, int) {
  static_cast<Connection*>(watcher->data)->OnDeadline();
}

void Connection::OnDeadline() {
  if (hold_ == Server::Hold::kWaiting && stream_ && !stream_->started_) {
    Respond(Response::Text(503, "no answer in time\n"));
  } else if (hold_ == Server::Hold::kStream && stream_) {
    stream_->Close();  // its age is up; the client reconnects
  } else {
    Close();
  }
}

void Connection::OnTimer() {
  if (phase_ == Phase::kReading && in_.find_first_not_of("\r\n \t") != std::string::npos) {
    Respond(Response::Text(408, "request not received in time\n"));
  } else {
    Close();  // idle, a stalled writer, or the linger ended
  }
}

bool Connection::ReadAvailable(bool keep) {
  const auto& options = server_.options_;
  const std::size_t cap = options.max_header_bytes + options.max_body_bytes + kReadChunk;
  char buffer[kReadChunk];
  while (!keep || in_.size() < cap) {
    const auto n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n > 0) {
      if (keep) in_.append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
  return true;
}

void Connection::OnReadable() {
  if (phase_ != Phase::kReading) {
    if (!ReadAvailable(false)) Close();  // streaming or lingering: input is ignored
    return;
  }
  const bool open = ReadAvailable(true);
  auto outcome = parser_.Parse(in_);
  switch (outcome.state) {
    case ParseOutcome::State::kComplete:
      ev_io_stop(server_.loop_, &read_io_);
      Dispatch(outcome.request);
      return;
    case ParseOutcome::State::kError:
      ev_io_stop(server_.loop_, &read_io_);
      Respond(Response::Text(outcome.error_status, outcome.error + "\n"));
      return;
    case ParseOutcome::State::kIncomplete:
      if (!open) Close();  // the client went away mid-request
      return;
  }
}

std::optional<Response> Connection::Refuse(const Request& request, const Server::Route* route) {
  const bool probe = route && route->kind == Server::RouteKind::kProbe;
  if (reserved_ && !probe) {
    auto busy = Response::Text(503, "server busy\n");
    busy.headers.emplace_back("Retry-After", "1");
    return busy;
  }
  if (!probe && !server_.HostAllowed(request.Header("host"))) {
    return Response::Text(403, "host not allowed\n");
  }
  if (!route) return std::nullopt;
  const auto hold = route->kind == Server::RouteKind::kStream     ? Server::Hold::kStream
                    : route->kind == Server::RouteKind::kDeferred ? Server::Hold::kWaiting
                                                                  : Server::Hold::kNothing;
  if (hold == Server::Hold::kNothing) return std::nullopt;
  if (const int status = server_.Refusal(client_, hold); status != 0) {
    auto refused = Response::Text(
        status, status == 429 ? "too many requests from this client\n" : "server busy\n");
    refused.headers.emplace_back("Retry-After", "1");
    return refused;
  }
  Hold(hold);
  return std::nullopt;
}

void Connection::Dispatch(const Request& request) {
  head_only_ = request.method == "HEAD";
  Hold(Server::Hold::kNothing);
  if (server_.Trusted(client_)) {
    if (auto forwarded = ProxiedClient(request.Header("x-forwarded-for"))) client_ = *forwarded;
  }
  const auto match = server_.Find(request.method, request.path);
  if (auto refused = Refuse(request, match.route)) {
    Respond(*refused);
    return;
  }
  if (!match.route) {
    if (match.allow.empty()) {
      Respond(Response::Text(404, "no such path\n"));
    } else {
      auto response = Response::Text(405, request.method + " not allowed here\n");
      response.headers.emplace_back("Allow", match.allow);
      Respond(response);
    }
    return;
  }
  if (match.route->handler) {
    Response response;
    try {
      response = match.route->handler(request);
    } catch (const std::exception& e) {
      spdlog::error("http {} {}: {}", request.method, request.path, e.what());
      response = Response::Text(500, "internal error\n");
    } catch (...) {
      response = Response::Text(500, "internal error\n");
    }
    Respond(response);
    return;
  }
  phase_ = Phase::kStreaming;
  ev_timer_stop(server_.loop_, &timer_);  // stalled output has its own deadline now
  stream_ = std::make_shared<Stream>(this);
  const bool deferred = match.route->kind == Server::RouteKind::kDeferred;
  if (deferred) stream_->Defer();
  const auto& options = server_.options_;
  ev_timer_set(&deadline_, Seconds(deferred ? options.wait_timeout : options.stream_max_age), 0.);
  ev_timer_start(server_.loop_, &deadline_);
  auto stream = stream_;  // the handler may drop its copy
  try {
    match.route->stream_handler(request, stream);
  } catch (const std::exception& e) {
    spdlog::error("http {} {}: {}", request.method, request.path, e.what());
    if (!stream->started_ && stream->open()) {
      stream->Reject(Response::Text(500, "internal error\n"));
    } else {
      Close();
    }
  }
  if (phase_ == Phase::kStreaming) {
    if (!stream->deferred_) stream->SendHeadersIfNeeded();
    if (phase_ == Phase::kStreaming) ev_io_start(server_.loop_, &read_io_);  // to see EOF
  }
}

void Connection::Respond(const Response& response) {
  if (phase_ == Phase::kClosed) return;
  if (stream_) stream_->Detach();
  Hold(Server::Hold::kNothing);
  ev_timer_stop(server_.loop_, &deadline_);
  ev_io_stop(server_.loop_, &read_io_);
  phase_ = Phase::kResponding;
  out_ += Serialize(response, head_only_);
  Flush();
}

bool Connection::Write(std::string_view bytes) {
  if (phase_ != Phase::kStreaming || finish_after_flush_) return false;
  out_.append(bytes);
  if (out_.size() - out_offset_ > server_.options_.max_stream_buffer_bytes) {
    Close();  // a consumer this slow is dropped rather than buffered for
    return false;
  }
  Flush();
  return phase_ == Phase::kStreaming;
}

void Connection::FinishAfterFlush() {
  if (phase_ != Phase::kStreaming) return;
  finish_after_flush_ = true;
  if (stream_) stream_->Detach();
  if (out_offset_ == out_.size()) AfterFlushed();
}

void Connection::OnWritable() { Flush(); }

void Connection::Flush() {
  bool progressed = false;
  while (out_offset_ < out_.size()) {
    const auto n = ::send(fd_, out_.data() + out_offset_, out_.size() - out_offset_, MSG_NOSIGNAL);
    if (n > 0) {
      out_offset_ += static_cast<std::size_t>(n);
      progressed = true;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      break;
    } else {
      Close();
      return;
    }
  }
  if (out_offset_ < out_.size()) {
    if (out_offset_ > kReadChunk && out_offset_ * 2 > out_.size()) {
      out_.erase(0, out_offset_);
      out_offset_ = 0;
    }
    ev_io_start(server_.loop_, &write_io_);
    if (progressed || !ev_is_active(&timer_)) Arm(Seconds(server_.options_.write_timeout));
    return;
  }
  out_.clear();
  out_offset_ = 0;
  ev_io_stop(server_.loop_, &write_io_);
  if (phase_ == Phase::kResponding || finish_after_flush_) {
    AfterFlushed();
  } else {
    ev_timer_stop(server_.loop_, &timer_);  // streaming, nothing pending: no deadline
  }
}

void Connection::AfterFlushed() {
  ::shutdown(fd_, SHUT_WR);
  phase_ = Phase::kLingering;
  ev_io_start(server_.loop_, &read_io_);
  Arm(std::min(kLingerSeconds, Seconds(server_.options_.request_timeout)));
}

}  // namespace dcp::http
