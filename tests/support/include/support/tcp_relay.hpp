#pragma once
// A TCP relay on loopback standing for one node of a cluster in front of a
// real server: clients connect to port(), every byte goes both ways to the
// server, and Cut() makes the node die as a killed server does (its
// connections reset, new ones refused). Tests of failover use two relays to
// one server as two nodes.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace dcp::testing {

class TcpRelay {
 public:
  // Relays to 127.0.0.1:`server_port`; listens on an ephemeral port of
  // `address` (another loopback address stands for a host that a server's
  // certificate does not name).
  explicit TcpRelay(std::uint16_t server_port, const char* address = "127.0.0.1")
      : server_port_(server_port) {
    sockaddr_in address_in = Loopback(0);
    if (::inet_pton(AF_INET, address, &address_in.sin_addr) != 1)
      throw std::runtime_error(std::string("TcpRelay: not an IPv4 address: ") + address);
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener_ < 0 ||
        ::bind(listener_, reinterpret_cast<sockaddr*>(&address_in), sizeof address_in) != 0 ||
        ::listen(listener_, 16) != 0 || ::pipe2(wake_.data(), O_CLOEXEC) != 0) {
      throw std::runtime_error("TcpRelay: cannot listen on loopback");
    }
    socklen_t length = sizeof address_in;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address_in), &length);
    port_ = ntohs(address_in.sin_port);
    thread_ = std::thread([this] { Loop(); });
  }
  ~TcpRelay() {
    stop_ = true;
    Wake();
    thread_.join();
    for (const auto& [client, server] : pairs_) Close(client, server);
    if (listener_ >= 0) ::close(listener_);
    ::close(wake_[0]);
    ::close(wake_[1]);
  }
  TcpRelay(const TcpRelay&) = delete;
  TcpRelay& operator=(const TcpRelay&) = delete;

  std::uint16_t port() const { return port_; }
  // Connections accepted so far.
  int accepted() const { return accepted_; }

  // The node dies: every open connection is reset and the port refuses new
  // ones. Returns once that is done.
  void Cut() { Do(Action::kCut); }
  // The connections are lost (reset) but the node lives on and accepts new
  // ones: a network blip, or the server closing connections.
  void Reset() { Do(Action::kReset); }

 private:
  enum class Action { kNone, kReset, kCut };

  void Do(Action action) {
    std::unique_lock lock(mutex_);
    action_ = action;
    Wake();
    done_.wait(lock, [this] { return action_ == Action::kNone; });
  }

  static sockaddr_in Loopback(std::uint16_t port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
  }
  static void Close(int client, int server) {
    // A reset, as the kernel sends for a killed process's sockets.
    linger reset{1, 0};
    ::setsockopt(client, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    ::close(client);
    ::close(server);
  }
  void Wake() {
    const char byte = 0;
    (void)!::write(wake_[1], &byte, 1);
  }

  void Loop() {
    while (!stop_) {
      {
        std::lock_guard lock(mutex_);
        if (action_ != Action::kNone) {
          for (const auto& [client, server] : pairs_) Close(client, server);
          pairs_.clear();
          if (action_ == Action::kCut && listener_ >= 0) ::close(listener_);
          if (action_ == Action::kCut) listener_ = -1;
          action_ = Action::kNone;
          done_.notify_all();
        }
      }
      std::vector<pollfd> fds = {{wake_[0], POLLIN, 0}};
      if (listener_ >= 0) fds.push_back({listener_, POLLIN, 0});
      const std::size_t first_pair = fds.size();
      for (const auto& [client, server] : pairs_) {
        fds.push_back({client, POLLIN, 0});
        fds.push_back({server, POLLIN, 0});
      }
      if (::poll(fds.data(), fds.size(), -1) < 0) continue;
      if ((fds[0].revents & POLLIN) != 0) {
        char drain[64];
        (void)!::read(wake_[0], drain, sizeof drain);
      }
      if (listener_ >= 0 && (fds[1].revents & POLLIN) != 0) Accept();
      std::vector<std::pair<int, int>> alive;
      for (std::size_t i = 0; i < (fds.size() - first_pair) / 2; ++i) {
        const auto [client, server] = pairs_[i];
        const bool ok =
            Pump(fds[first_pair + 2 * i], server) && Pump(fds[first_pair + 2 * i + 1], client);
        if (ok) {
          alive.emplace_back(client, server);
        } else {
          Close(client, server);
        }
      }
      // Accepted during this round: appended after the polled pairs.
      for (std::size_t i = (fds.size() - first_pair) / 2; i < pairs_.size(); ++i) {
        alive.push_back(pairs_[i]);
      }
      pairs_ = std::move(alive);
    }
  }
  void Accept() {
    const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) return;
    const int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address = Loopback(server_port_);
    if (server < 0 ||
        ::connect(server, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      Close(client, server);
      return;
    }
    ++accepted_;
    pairs_.emplace_back(client, server);
  }
  // Copies what `from` has to `to`; false when either side is done.
  static bool Pump(const pollfd& from, int to) {
    if ((from.revents & (POLLIN | POLLHUP | POLLERR)) == 0) return true;
    std::array<char, 65536> buffer;
    const ssize_t n = ::read(from.fd, buffer.data(), buffer.size());
    if (n <= 0) return false;
    for (ssize_t sent = 0; sent < n;) {
      const ssize_t w =
          ::send(to, buffer.data() + sent, static_cast<std::size_t>(n - sent), MSG_NOSIGNAL);
      if (w <= 0) return false;
      sent += w;
    }
    return true;
  }

  std::uint16_t server_port_;
  std::uint16_t port_ = 0;
  int listener_ = -1;
  std::array<int, 2> wake_{-1, -1};
  std::vector<std::pair<int, int>> pairs_;  // client, server; the relay thread's
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::mutex mutex_;
  std::condition_variable done_;
  Action action_ = Action::kNone;  // asked for, under mutex_; done: kNone again
  std::thread thread_;
};

}  // namespace dcp::testing
