#include "http/server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <limits>
#include <stdexcept>
#include <system_error>

#include "http/connection.hpp"

namespace dcp::http {
namespace {

constexpr int kBacklog = 64;
constexpr double kAcceptRetrySeconds = 0.5;

// The numeric address of an accepted peer ("" if not IP).
std::string PeerAddress(const sockaddr_storage& peer) {
  char text[INET6_ADDRSTRLEN] = "";
  if (peer.ss_family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&peer)->sin_addr, text, sizeof text);
  } else if (peer.ss_family == AF_INET6) {
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&peer)->sin6_addr, text,
                sizeof text);
  }
  return text;
}

[[noreturn]] void ThrowErrno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace

Server::Server(struct ev_loop* loop, ServerOptions options)
    : loop_(loop), options_(std::move(options)) {
  for (const auto& proxy : options_.trusted_proxies) {
    auto range = AddressRange::Parse(proxy);
    if (!range) throw std::invalid_argument("trusted proxy is not an address or range: " + proxy);
    trusted_.push_back(*range);
  }
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
  AddRoute({std::move(method), std::move(path), RouteKind::kPlain, std::move(handler), nullptr});
}

void Server::HandleProbe(std::string method, std::string path, Handler handler) {
  AddRoute({std::move(method), std::move(path), RouteKind::kProbe, std::move(handler), nullptr});
}

void Server::HandleStream(std::string method, std::string path, StreamHandler handler) {
  AddRoute({std::move(method), std::move(path), RouteKind::kStream, nullptr, std::move(handler)});
}

void Server::HandleDeferred(std::string method, std::string path, StreamHandler handler) {
  AddRoute({std::move(method), std::move(path), RouteKind::kDeferred, nullptr, std::move(handler)});
}

bool Server::Trusted(const std::string& address) const {
  return std::any_of(trusted_.begin(), trusted_.end(),
                     [&](const AddressRange& range) { return range.Contains(address); });
}

bool Server::HostAllowed(const std::string& host) const {
  if (options_.allowed_hosts.empty()) return true;
  const auto lower = [](std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  };
  const std::string given = lower(host);
  // The name without its port: "[::1]:8080" -> "[::1]", "a.b:8080" -> "a.b".
  const auto colon = given.rfind(':');
  const bool has_port = colon != std::string::npos && given.find(']', colon) == std::string::npos &&
                        (given.front() == '[' || given.find(':') == colon);
  const std::string name = has_port ? given.substr(0, colon) : given;
  return std::any_of(options_.allowed_hosts.begin(), options_.allowed_hosts.end(),
                     [&](const std::string& allowed) {
                       const std::string a = lower(allowed);
                       return a == given || a == name;
                     });
}

void Server::Account(const std::string& client, Hold from, Hold to) {
  if (from == to) return;
  if (from != Hold::kNothing) {
    --totals_[from];
    auto it = clients_.find(client);
    if (it != clients_.end()) {
      --it->second[from];
      if (it->second.Empty()) clients_.erase(it);
    }
  }
  if (to != Hold::kNothing) {
    ++totals_[to];
    ++clients_[client][to];
  }
}

int Server::Refusal(const std::string& client, Hold hold) const {
  const auto it = clients_.find(client);
  const std::size_t mine = it == clients_.end() ? 0 : it->second[hold];
  if (hold == Hold::kStream) {
    if (totals_[hold] >= options_.max_streams) return 503;
    if (mine >= options_.max_streams_per_client) return 429;
  } else if (hold == Hold::kWaiting) {
    if (totals_[hold] >= options_.max_waiting) return 503;
    if (mine >= options_.max_waiting_per_client) return 429;
  } else if (hold == Hold::kPending) {
    if (mine >= options_.max_pending_per_client) return 429;
  }
  return 0;
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

Server::Place Server::MakeRoom() {
  std::size_t general = 0;
  std::array<Connection*, 2> slowest{};  // pending the longest: general, reserved
  for (const auto& [raw, connection] : connections_) {
    if (!raw->reserved()) ++general;
    Connection*& candidate = slowest[raw->reserved() ? 1 : 0];
    if (raw->pending() && (!candidate || raw->accepted_at() < candidate->accepted_at())) {
      candidate = raw;
    }
  }
  const std::size_t reserve = std::min(options_.probe_reserve, options_.max_connections);
  const auto evict = [this](Connection* connection, Place place) {
    Remove(connection);  // no stream yet: nobody to tell
    return place;
  };
  if (general < options_.max_connections - reserve) return Place::kGeneral;
  if (slowest[0] != nullptr) return evict(slowest[0], Place::kGeneral);
  if (connections_.size() - general < reserve) return Place::kReserve;
  if (slowest[1] != nullptr) return evict(slowest[1], Place::kReserve);
  return Place::kNone;
}

void Server::OnAccept(struct ev_loop*, ev_io* watcher, int) {
  static_cast<Server*>(watcher->data)->OnAcceptReady();
}

void Server::OnAcceptResume(struct ev_loop* loop, ev_timer* watcher, int) {
  auto* self = static_cast<Server*>(watcher->data);
  if (self->listen_fd_ >= 0) ev_io_start(loop, &self->accept_io_);
}

void Server::OnAcceptReady() {
  for (int i = 0; i < kBacklog; ++i) {
    sockaddr_storage peer{};
    socklen_t peer_length = sizeof peer;
    const int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &peer_length,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
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
    std::string address = PeerAddress(peer);
    const Place place =
        !Trusted(address) && Refusal(address, Hold::kPending) != 0 ? Place::kNone : MakeRoom();
    if (place == Place::kNone) {
      ::close(fd);
      continue;
    }
    const bool reserved = place == Place::kReserve;
    auto connection = std::make_unique<Connection>(*this, fd, std::move(address), reserved);
    auto* raw = connection.get();
    connections_.emplace(raw, std::move(connection));
    raw->Start();
  }
}

}  // namespace dcp::http
