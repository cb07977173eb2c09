#include "http/server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <limits>
#include <stdexcept>
#include <system_error>

#include "http/connection.hpp"

namespace dcp::http {
namespace {

constexpr int kBacklog = 64;
constexpr double kAcceptRetrySeconds = 0.5;

[[noreturn]] void ThrowErrno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace

Server::Server(struct ev_loop* loop, ServerOptions options)
    : loop_(loop), options_(std::move(options)) {
  ev_init(&accept_io_, &Server::OnAccept);
  ev_init(&accept_resume_, &Server::OnAcceptResume);
  accept_io_.data = accept_resume_.data = this;
}

Server::~Server() {
  ev_io_stop(loop_, &accept_io_);
  ev_timer_stop(loop_, &accept_resume_);
  if (listen_fd_ >= 0) ::close(listen_fd_);
  connections_.clear();
}

void Server::Handle(std::string method, std::string path, Handler handler) {
  AddRoute({std::move(method), std::move(path), std::move(handler), nullptr});
}

void Server::HandleStream(std::string method, std::string path, StreamHandler handler) {
  AddRoute({std::move(method), std::move(path), nullptr, std::move(handler)});
}

void Server::AddRoute(Route route) {
  for (auto& existing : routes_) {
    if (existing.method == route.method && existing.path == route.path) {
      existing = std::move(route);
      return;
    }
  }
  routes_.push_back(std::move(route));
}

Server::Match Server::Find(const std::string& method, const std::string& path) const {
  Match match;
  std::size_t best = 0;  // exact: max; prefix: its length + 1
  for (const auto& route : routes_) {
    std::size_t score = 0;
    if (route.path == path) {
      score = std::numeric_limits<std::size_t>::max();
    } else if (!route.path.empty() && route.path.back() == '/' && path.starts_with(route.path)) {
      score = route.path.size() + 1;
    } else {
      continue;
    }
    const bool method_ok =
        route.method == method || (method == "HEAD" && route.method == "GET" && route.handler);
    if (!method_ok) {
      if (match.allow.find(route.method) == std::string::npos) {
        match.allow += (match.allow.empty() ? "" : ", ") + route.method;
      }
      continue;
    }
    if (score > best) {
      best = score;
      match.route = &route;
    }
  }
  if (match.route) match.allow.clear();
  return match;
}

void Server::Start() {
  if (listen_fd_ >= 0) return;
  sockaddr_storage address{};
  socklen_t length = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
  if (::inet_pton(AF_INET, options_.bind_address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(options_.port);
    length = sizeof *v4;
  } else if (::inet_pton(AF_INET6, options_.bind_address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(options_.port);
    length = sizeof *v6;
  } else {
    throw std::invalid_argument("http bind address is not a numeric IP: " + options_.bind_address);
  }
  const int fd = ::socket(address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) ThrowErrno("http socket");
  const int on = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  const std::string where = options_.bind_address + ":" + std::to_string(options_.port);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::listen(fd, kBacklog) != 0) {
    const int error = errno;
    ::close(fd);
    throw std::system_error(error, std::generic_category(), "http listen on " + where);
  }
  sockaddr_storage bound{};
  socklen_t bound_length = sizeof bound;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_length);
  port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  listen_fd_ = fd;
  ev_io_set(&accept_io_, listen_fd_, EV_READ);
  ev_io_start(loop_, &accept_io_);
}

void Server::Stop() {
  ev_io_stop(loop_, &accept_io_);
  ev_timer_stop(loop_, &accept_resume_);
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
  for (auto& [raw, connection] : connections_) connection->Close();
}

void Server::Remove(Connection* connection) { connections_.erase(connection); }

void Server::OnAccept(struct ev_loop*, ev_io* watcher, int) {
  static_cast<Server*>(watcher->data)->OnAcceptReady();
}

void Server::OnAcceptResume(struct ev_loop* loop, ev_timer* watcher, int) {
  auto* self = static_cast<Server*>(watcher->data);
  if (self->listen_fd_ >= 0) ev_io_start(loop, &self->accept_io_);
}

void Server::OnAcceptReady() {
  for (int i = 0; i < kBacklog; ++i) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Level-triggered: pause rather than spin until descriptors free up.
        ev_io_stop(loop_, &accept_io_);
        ev_timer_set(&accept_resume_, kAcceptRetrySeconds, 0.);
        ev_timer_start(loop_, &accept_resume_);
      }
      return;  // EAGAIN: nothing more to accept
    }
    if (connections_.size() >= options_.max_connections) {
      ::close(fd);
      continue;
    }
    auto connection = std::make_unique<Connection>(*this, fd);
    auto* raw = connection.get();
    connections_.emplace(raw, std::move(connection));
    raw->Start();
  }
}

}  // namespace dcp::http
