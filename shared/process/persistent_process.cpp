#include "process/persistent_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "box.hpp"

namespace dcp::process {
namespace {

constexpr std::size_t kKeptOutputBytes = 64 * 1024;

void NonBlocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

// Appends what `fd` has now; closes it at EOF or on an error.
void ReadAvailable(int& fd, std::string& into) {
  char buf[65536];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      into.append(buf, static_cast<std::size_t>(n));
      if (static_cast<std::size_t>(n) < sizeof buf) return;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    box::CloseFd(fd);
    return;
  }
}

}  // namespace

PersistentProcess::PersistentProcess(const CommandSpec& spec) {
  if (spec.argv.empty()) {
    not_started_ = "empty command";
    return;
  }
  box::Pipe requests, responses, out, err;
  if (!requests.Open() || !responses.Open() || !out.Open() || !err.Open()) {
    not_started_ = "pipe: " + std::string(strerror(errno));
    return;
  }
  CommandSpec in_box = spec;
  in_box.input_file = "/dev/null";
  pid_t pid = 0;
  const int rc = box::Spawn(
      in_box, {{out.write, 1}, {err.write, 2}, {requests.read, 3}, {responses.write, 4}}, pid);
  if (rc != 0) {
    not_started_ = strerror(rc);
    return;
  }
  pid_ = pid;
  pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  std::swap(requests_, requests.write);
  std::swap(responses_, responses.read);
  std::swap(stdout_, out.read);
  std::swap(stderr_, err.read);
  for (const int fd : {requests_, responses_, stdout_, stderr_}) NonBlocking(fd);
}

PersistentProcess::~PersistentProcess() {
  if (started()) Stop(std::chrono::milliseconds(0));
}

void PersistentProcess::Drain(short out_events, short err_events, short response_events) {
  if (stdout_ >= 0 && (out_events & (POLLIN | POLLHUP | POLLERR))) {
    ReadAvailable(stdout_, out_);
    box::KeepTail(out_, kKeptOutputBytes);
  }
  if (stderr_ >= 0 && (err_events & (POLLIN | POLLHUP | POLLERR))) {
    ReadAvailable(stderr_, err_);
    box::KeepTail(err_, kKeptOutputBytes);
  }
  if (responses_ >= 0 && (response_events & (POLLIN | POLLHUP | POLLERR))) {
    ReadAvailable(responses_, buffer_);
  }
}

PersistentProcess::Read PersistentProcess::Exchange(std::string_view request,
                                                    std::chrono::steady_clock::time_point deadline,
                                                    std::size_t max_line, std::string& line) {
  std::size_t written = 0;
  const auto write_some = [&] {
    if (requests_ < 0) {
      written = request.size();  // it closed its input: it will answer or end
      return;
    }
    const ssize_t n = write(requests_, request.data() + written, request.size() - written);
    if (n > 0) written += static_cast<std::size_t>(n);
    if (n < 0 && errno != EAGAIN && errno != EINTR) written = request.size();
  };
  if (!request.empty()) write_some();
  for (;;) {
    if (written == request.size()) {
      const auto newline = buffer_.find('\n', scanned_);
      if (newline != std::string::npos) {
        line.assign(buffer_, 0, newline);
        buffer_.erase(0, newline + 1);
        scanned_ = 0;
        return Read::kLine;
      }
      scanned_ = buffer_.size();
    }
    if (buffer_.size() > max_line) return Read::kTooLong;
    if (exited_ || responses_ < 0) return Read::kEnded;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return Read::kTimedOut;
    std::array<pollfd, 5> fds{{{responses_, POLLIN, 0},
                               {stdout_, POLLIN, 0},
                               {stderr_, POLLIN, 0},
                               {written < request.size() ? requests_ : -1, POLLOUT, 0},
                               {pidfd_, POLLIN, 0}}};
    if (poll(fds.data(), fds.size(), static_cast<int>(std::min<long long>(left.count(), 1000))) <
        0) {
      if (errno == EINTR) continue;
      return Read::kEnded;
    }
    if (fds[3].revents != 0) write_some();
    Drain(fds[1].revents, fds[2].revents, fds[0].revents);
    if (fds[4].revents & POLLIN) {
      // It exited: what it wrote is in the pipes; take it without waiting
      // for writers it may have left behind.
      Drain(POLLIN, POLLIN, POLLIN);
      exited_ = true;
    }
  }
}

bool PersistentProcess::Unasked() {
  std::array<pollfd, 4> fds{
      {{responses_, POLLIN, 0}, {stdout_, POLLIN, 0}, {stderr_, POLLIN, 0}, {pidfd_, POLLIN, 0}}};
  while (poll(fds.data(), fds.size(), 0) < 0 && errno == EINTR) {
  }
  Drain(fds[1].revents, fds[2].revents, fds[0].revents);
  if (fds[3].revents & POLLIN) exited_ = true;
  return !buffer_.empty() || exited_ || responses_ < 0;
}

CommandOutcome PersistentProcess::Stop(std::chrono::milliseconds grace) {
  if (stopped_ || !started()) return end_;
  stopped_ = true;
  box::CloseFd(requests_);
  if (grace.count() == 0) kill(-pid_, SIGKILL);
  bool timed_out = false;
  int status = 0;
  const bool reaped =
      box::Reap(pid_, pidfd_, std::chrono::steady_clock::now() + grace, timed_out, status);
  const int wait_errno = errno;
  box::EndGroup(pid_);
  for (int* fd : {&pidfd_, &responses_, &stdout_, &stderr_}) box::CloseFd(*fd);
  box::SetEnd(end_, reaped, wait_errno, timed_out && grace.count() > 0, status);
  end_.err = err_;
  end_.out = out_;
  return end_;
}

std::size_t PersistentProcess::ResidentBytes() const {
  if (!started() || stopped_) return 0;
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/statm", static_cast<int>(pid_));
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char text[128] = {};
  const ssize_t n = read(fd, text, sizeof text - 1);
  close(fd);
  if (n <= 0) return 0;
  unsigned long long size = 0, resident = 0;
  if (std::sscanf(text, "%llu %llu", &size, &resident) != 2) return 0;
  return static_cast<std::size_t>(resident) * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

void PersistentProcess::ClearOutput() {
  out_.clear();
  err_.clear();
}

}  // namespace dcp::process
