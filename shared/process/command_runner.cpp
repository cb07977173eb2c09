#include "process/command_runner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string_view>

#include "box.hpp"

namespace dcp::process {
namespace {

using box::CloseFd;

// stderr kept while the command runs.
constexpr std::size_t kKeptStderrBytes = 64 * 1024;

}  // namespace

const std::string& HelperDirectory() {
  static const std::string directory = [] {
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) return std::string();
    const auto dir = exe.parent_path().parent_path() / "share" / "dcp" / "python";
    return std::filesystem::is_directory(dir, ec) ? dir.string() : std::string();
  }();
  return directory;
}

std::vector<std::string> BoxEnvironment(std::vector<std::string> own,
                                        const std::vector<std::string>& pass,
                                        const char* const* environment) {
  const auto passed = [&pass](std::string_view name) {
    return std::find(kBaseEnvironment.begin(), kBaseEnvironment.end(), name) !=
               kBaseEnvironment.end() ||
           std::find(pass.begin(), pass.end(), name) != pass.end();
  };
  for (const char* const* entry = environment; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const auto equals = text.find('=');
    if (equals == std::string_view::npos) continue;
    const std::string_view name = text.substr(0, equals);
    if (!name.starts_with("DCP_") && passed(name)) own.emplace_back(text);
  }
  if (const std::string& helpers = HelperDirectory(); !helpers.empty()) {
    const auto python_path = std::find_if(own.begin(), own.end(), [](const std::string& entry) {
      return entry.starts_with("PYTHONPATH=");
    });
    if (python_path == own.end()) {
      own.push_back("PYTHONPATH=" + helpers);
    } else {
      python_path->insert(std::string_view("PYTHONPATH=").size(), helpers + ":");
    }
  }
  return own;
}

std::string OneLineTail(const std::string& text, std::size_t n) {
  std::string t = text.size() > n ? text.substr(text.size() - n) : text;
  for (char& c : t) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  while (!t.empty() && t.back() == ' ') t.pop_back();
  return t;
}

std::string Describe(const CommandOutcome& o, const CommandSpec& spec, std::size_t tail) {
  using End = CommandOutcome::End;
  switch (o.end) {
    case End::kExited:
      return o.code == 0 ? "exit 0"
                         : "exit " + std::to_string(o.code) + ": " + OneLineTail(o.err, tail);
    case End::kSignalled:
      return "killed by signal " + std::to_string(o.code) + ": " + OneLineTail(o.err, tail);
    case End::kTimedOut: {
      const auto ms = spec.timeout.count();
      return "timed out after " +
             (ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms");
    }
    case End::kTooMuchOutput:
      return "more than " + std::to_string(spec.max_stdout) + " bytes on stdout";
    case End::kNotStarted:
      return "could not start " + (spec.argv.empty() ? std::string("(no command)") : spec.argv[0]) +
             ": " + o.not_started;
    case End::kStatusLost:
      return "exit status lost: " + o.not_started;
  }
  return "?";
}

// Per task: two system calls (mkdir, rmdir) when all goes well, the
// filesystem walks only for what a crash or the command left behind (a
// process per task pays this on every task: measured 80 us with the walks,
// 50 us without, on this overlayfs).
ScratchDirectory::ScratchDirectory(std::string path) : path_(std::move(path)) {
  if (mkdir(path_.c_str(), 0700) == 0) return;
  std::error_code ec;
  if (errno == EEXIST) {
    std::filesystem::remove_all(path_, ec);  // a crashed attempt's
  } else if (errno == ENOENT) {
    std::filesystem::create_directories(std::filesystem::path(path_).parent_path(), ec);
  }
  if (mkdir(path_.c_str(), 0700) != 0) path_.clear();
}

ScratchDirectory::~ScratchDirectory() {
  if (path_.empty() || rmdir(path_.c_str()) == 0) return;
  std::error_code ec;  // the command left files there
  std::filesystem::remove_all(path_, ec);
}

CommandOutcome RunCommand(const CommandSpec& spec) {
  CommandOutcome outcome;
  if (spec.argv.empty()) {
    outcome.not_started = "empty command";
    return outcome;
  }
  box::Pipe in, out, err;
  if (!in.Open() || !out.Open() || !err.Open()) {
    outcome.not_started = "pipe: " + std::string(strerror(errno));
    return outcome;
  }
  std::vector<box::ChildFd> child_fds = {{out.write, 1}, {err.write, 2}};
  if (spec.input_file.empty()) child_fds.push_back({in.read, 0});
  pid_t pid = 0;
  if (const int rc = box::Spawn(spec, child_fds, pid); rc != 0) {
    outcome.not_started = strerror(rc);
    return outcome;
  }
  CloseFd(in.read);
  CloseFd(out.write);
  CloseFd(err.write);

  // Says when the command exits (Linux 5.3+): its end, even while what it
  // left running still holds its pipes. Without one, the end is EOF.
  const int exited = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  const std::string& input = spec.input;
  std::size_t written = 0;
  std::string& stdout_text = outcome.out;
  std::string& stderr_text = outcome.err;
  const auto deadline = std::chrono::steady_clock::now() + spec.timeout;
  bool timed_out = false, too_big = false;
  fcntl(in.write, F_SETFL, O_NONBLOCK);
  if (input.empty() || !spec.input_file.empty()) CloseFd(in.write);
  while (out.read >= 0 || err.read >= 0) {
    std::array<pollfd, 4> fds{{{out.read, POLLIN, 0},
                               {err.read, POLLIN, 0},
                               {in.write, POLLOUT, 0},
                               {exited, POLLIN, 0}}};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    if (poll(fds.data(), fds.size(), static_cast<int>(std::min<long long>(left.count(), 1000))) <
        0) {
      if (errno == EINTR) continue;
      break;
    }
    if (in.write >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      const ssize_t n = write(in.write, input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<std::size_t>(n);
      if (n < 0 && errno != EAGAIN) written = input.size();  // it closed its stdin: fine
      if (written == input.size()) CloseFd(in.write);
    }
    const bool ended = fds[3].revents & POLLIN;
    for (auto [fd, text] :
         {std::pair{&out.read, &stdout_text}, std::pair{&err.read, &stderr_text}}) {
      const pollfd& p = fd == &out.read ? fds[0] : fds[1];
      if (*fd < 0) continue;
      if (ended) {
        // The command exited: what it wrote is in the pipe; take it without
        // waiting for the writers it left behind.
        fcntl(*fd, F_SETFL, O_NONBLOCK);
      } else if (!(p.revents & (POLLIN | POLLHUP | POLLERR))) {
        continue;
      }
      char buf[65536];
      do {
        const ssize_t n = read(*fd, buf, sizeof buf);
        if (n > 0) {
          text->append(buf, static_cast<std::size_t>(n));
        } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
          CloseFd(*fd);
        } else if (errno == EAGAIN) {
          break;
        }
      } while (ended && *fd >= 0 && stdout_text.size() <= spec.max_stdout);
    }
    if (ended && stdout_text.size() <= spec.max_stdout) break;
    if (stdout_text.size() > spec.max_stdout) {
      too_big = true;
      break;
    }
    // Only the tail of stderr is reported.
    if (stderr_text.size() > kKeptStderrBytes) {
      stderr_text.erase(0, stderr_text.size() - kKeptStderrBytes / 2);
    }
  }
  CloseFd(in.write);
  if (timed_out || too_big) kill(-pid, SIGKILL);
  int status = 0;
  // A command may close its output and go on running: the deadline holds
  // until it has exited too.
  const bool reaped = box::Reap(pid, exited, deadline, timed_out, status);
  const int wait_errno = errno;
  if (exited >= 0) close(exited);
  box::EndGroup(pid);
  if (stderr_text.size() > kKeptStderrBytes) {
    stderr_text.erase(0, stderr_text.size() - kKeptStderrBytes);
  }
  if (too_big) {
    stdout_text.resize(spec.max_stdout);
    outcome.end = CommandOutcome::End::kTooMuchOutput;
  } else {
    box::SetEnd(outcome, reaped, wait_errno, timed_out, status);
  }
  return outcome;
}

void KillAllCommands() { box::KillAll(); }

}  // namespace dcp::process
