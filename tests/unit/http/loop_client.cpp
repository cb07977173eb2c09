#include "loop_client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

namespace dcp::http::testing {

bool RunUntil(struct ev_loop* loop, const std::function<bool()>& done, double deadline_seconds) {
  // A prepare watcher runs before the loop blocks, i.e. after every callback
  // of the previous iteration: the first moment `done` can have changed.
  ev_prepare prepare;
  ev_timer deadline;
  ev_prepare_init(&prepare, [](struct ev_loop* l, ev_prepare* w, int) {
    if ((*static_cast<const std::function<bool()>*>(w->data))()) ev_break(l, EVBREAK_ONE);
  });
  ev_timer_init(
      &deadline, [](struct ev_loop* l, ev_timer*, int) { ev_break(l, EVBREAK_ONE); },
      deadline_seconds, 0.);
  prepare.data = const_cast<std::function<bool()>*>(&done);
  ev_prepare_start(loop, &prepare);
  ev_timer_start(loop, &deadline);
  if (!done()) ev_run(loop, 0);
  ev_timer_stop(loop, &deadline);
  ev_prepare_stop(loop, &prepare);
  return done();
}

LoopClient::LoopClient(struct ev_loop* loop, std::uint16_t port) : loop_(loop) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // On loopback the handshake completes in the kernel (listen backlog), so a
  // blocking connect returns at once even though the loop is not running.
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd_);
    throw std::runtime_error("connect to the test server failed");
  }
  ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
  ev_io_init(&read_io_, &LoopClient::OnReadable, fd_, EV_READ);
  read_io_.data = this;
  ev_io_start(loop_, &read_io_);
}

LoopClient::~LoopClient() { CloseSocket(); }

void LoopClient::Send(const std::string& bytes) {
  const auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  if (n != static_cast<ssize_t>(bytes.size())) throw std::runtime_error("short test send");
}

void LoopClient::StopReading() { ev_io_stop(loop_, &read_io_); }

void LoopClient::CloseSocket() {
  if (fd_ < 0) return;
  ev_io_stop(loop_, &read_io_);
  ::close(fd_);
  fd_ = -1;
}

void LoopClient::OnReadable(struct ev_loop* loop, ev_io* watcher, int) {
  auto* self = static_cast<LoopClient*>(watcher->data);
  char buffer[4096];
  while (true) {
    const auto n = ::recv(self->fd_, buffer, sizeof buffer, 0);
    if (n > 0) {
      self->received_.append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    self->closed_ = true;  // EOF or reset
    ev_io_stop(loop, watcher);
    return;
  }
}

int LoopClient::status() const {
  if (!received_.starts_with("HTTP/1.1 ") || received_.size() < 12) return 0;
  return std::stoi(received_.substr(9, 3));
}

std::string LoopClient::body() const {
  const auto end = received_.find("\r\n\r\n");
  return end == std::string::npos ? std::string() : received_.substr(end + 4);
}

std::string Exchange(struct ev_loop* loop, std::uint16_t port, const std::string& request) {
  LoopClient client(loop, port);
  client.Send(request);
  if (!RunUntil(loop, [&] { return client.closed(); })) return {};
  return client.received();
}

}  // namespace dcp::http::testing
