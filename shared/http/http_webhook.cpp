#include "http/http_webhook.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace dcp::http {
namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

bool WaitFd(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  pollfd p{fd, events, 0};
  return ::poll(&p, 1, static_cast<int>(left.count())) == 1;
}

std::string Errno(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

}  // namespace

Result<HttpUrl> ParseHttpUrl(std::string_view text) {
  constexpr std::string_view kScheme = "http://";
  if (text.substr(0, kScheme.size()) != kScheme) return Error{"only http:// URLs are supported"};
  std::string_view rest = text.substr(kScheme.size());
  const auto slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  HttpUrl url;
  if (slash != std::string_view::npos) {
    url.target = std::string(rest.substr(slash));
    if (url.target[0] == '?') url.target = "/" + url.target;
  }
  if (authority.find('@') != std::string_view::npos) return Error{"user info is not supported"};
  std::string_view port_text;
  if (!authority.empty() && authority[0] == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return Error{"unterminated IPv6 address"};
    url.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return Error{"junk after the IPv6 address"};
      port_text = authority.substr(close + 2);
    }
  } else {
    const auto colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (url.host.empty()) return Error{"no host"};
  if (!port_text.empty() || authority.back() == ':') {
    unsigned port = 0;
    for (char c : port_text) {
      if (c < '0' || c > '9' || (port = port * 10 + static_cast<unsigned>(c - '0')) > 65535) {
        return Error{"bad port '" + std::string(port_text) + "'"};
      }
    }
    if (port == 0) return Error{"bad port '" + std::string(port_text) + "'"};
    url.port = static_cast<std::uint16_t>(port);
  }
  if (url.target.find_first_of(" \r\n") != std::string::npos) return Error{"bad path"};
  return url;
}

WebhookResponse HttpWebhook::Post(std::string_view json) {
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(url_.port);
  if (const int rc = ::getaddrinfo(url_.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return {0, "resolving " + url_.host + ": " + ::gai_strerror(rc)};
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(found, &::freeaddrinfo);
  Fd fd(::socket(found->ai_family, found->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return {0, Errno("socket")};
  if (::connect(fd.get(), found->ai_addr, found->ai_addrlen) != 0 && errno != EINPROGRESS) {
    return {0, Errno("connect")};
  }
  if (!WaitFd(fd.get(), POLLOUT, deadline)) return {0, "connect: timed out"};
  int so_error = 0;
  socklen_t len = sizeof so_error;
  ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &so_error, &len);
  if (so_error != 0) return {0, std::string("connect: ") + std::strerror(so_error)};

  std::string request = "POST " + url_.target + " HTTP/1.1\r\nHost: " + url_.host + ":" + port +
                        "\r\nContent-Type: application/json\r\nUser-Agent: dcp\r\n"
                        "Connection: close\r\nContent-Length: " +
                        std::to_string(json.size()) + "\r\n\r\n";
  request.append(json);
  for (std::size_t sent = 0; sent < request.size();) {
    if (!WaitFd(fd.get(), POLLOUT, deadline)) return {0, "send: timed out"};
    const ssize_t n = ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR) return {0, Errno("send")};
    if (n > 0) sent += static_cast<std::size_t>(n);
  }
  std::string answer;
  while (answer.find("\r\n") == std::string::npos && answer.size() < 4096) {
    if (!WaitFd(fd.get(), POLLIN, deadline)) return {0, "no answer: timed out"};
    char buf[1024];
    const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n == 0) break;
    if (n < 0 && errno != EAGAIN && errno != EINTR) return {0, Errno("recv")};
    if (n > 0) answer.append(buf, static_cast<std::size_t>(n));
  }
  // "HTTP/1.1 204 No Content"
  if (answer.rfind("HTTP/1.", 0) != 0 || answer.size() < 12) return {0, "not an HTTP answer"};
  const int status = std::atoi(answer.c_str() + 9);
  if (status < 100 || status > 599) return {0, "not an HTTP answer"};
  return {status, {}};
}

}  // namespace dcp::http
