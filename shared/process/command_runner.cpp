#include "process/command_runner.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <string_view>

#include "runtime/mutex.hpp"

namespace dcp::process {
namespace {

struct Pipe {
  int read = -1;
  int write = -1;
  bool Open() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return false;
    read = fds[0];
    write = fds[1];
    return true;
  }
  ~Pipe() {
    if (read >= 0) close(read);
    if (write >= 0) close(write);
  }
};

void CloseFd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

// stderr kept while the command runs.
constexpr std::size_t kKeptStderrBytes = 64 * 1024;

// The process's running commands: one subreaper per process, so one set.
struct Running {
  runtime::Mutex mutex;
  std::set<pid_t> groups DCP_GUARDED_BY(mutex);  // process groups of the live commands
};

Running& TheRunning() {
  static Running running;
  return running;
}

void SetUpProcess() {
  static std::once_flag once;
  std::call_once(once, [] {
    signal(SIGPIPE, SIG_IGN);
    // Descendants whose parent exits become this process's children (as
    // they would of PID 1), also those that left their process group with
    // setsid: EndStrays can then find and end them.
    prctl(PR_SET_CHILD_SUBREAPER, 1);
  });
}

// This process's children, of every thread (/proc/self/task/*/children).
std::vector<pid_t> Children() {
  std::vector<pid_t> children;
  DIR* tasks = opendir("/proc/self/task");
  if (tasks == nullptr) return children;
  while (const dirent* entry = readdir(tasks)) {
    if (entry->d_name[0] == '.') continue;
    std::ifstream list(std::string("/proc/self/task/") + entry->d_name + "/children");
    pid_t pid = 0;
    while (list >> pid) children.push_back(pid);
  }
  closedir(tasks);
  return children;
}

// Kills and reaps every child of this process that is not a running
// command: descendants orphaned to it (the subreaper) when their parent
// exited, whichever command they came from. So a command that forks and
// leaves, even with setsid, leaves nothing running once it ends.
void EndStrays(const std::set<pid_t>& running) {
  // Killing one may orphan its own children to us: look again, a few times.
  for (int round = 0; round < 8; ++round) {
    std::vector<pid_t> strays;
    for (const pid_t child : Children()) {
      if (!running.contains(child)) strays.push_back(child);
    }
    if (strays.empty()) return;
    for (const pid_t stray : strays) {
      kill(stray, SIGKILL);
      while (waitpid(stray, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
  }
}

std::string OneLineTail(const std::string& text, std::size_t n) {
  std::string t = text.size() > n ? text.substr(text.size() - n) : text;
  for (char& c : t) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  while (!t.empty() && t.back() == ' ') t.pop_back();
  return t;
}

// With a memory limit, the command runs under a shell that sets it first:
// no moment where the command runs without it (posix_spawn has no rlimit).
std::vector<std::string> LimitedArgv(const CommandSpec& spec) {
  if (spec.memory_limit == 0) return spec.argv;
  std::vector<std::string> argv = {
      "/bin/sh", "-c",
      "ulimit -v " + std::to_string(spec.memory_limit / 1024) + " || exit 125\nexec \"$@\"", "sh"};
  argv.insert(argv.end(), spec.argv.begin(), spec.argv.end());
  return argv;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

}  // namespace

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
  return own;
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
  SetUpProcess();
  CommandOutcome outcome;
  if (spec.argv.empty()) {
    outcome.not_started = "empty command";
    return outcome;
  }
  Pipe in, out, err;
  if (!in.Open() || !out.Open() || !err.Open()) {
    outcome.not_started = "pipe: " + std::string(strerror(errno));
    return outcome;
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (spec.input_file.empty()) {
    posix_spawn_file_actions_adddup2(&actions, in.read, 0);
  } else {
    posix_spawn_file_actions_addopen(&actions, 0, spec.input_file.c_str(), O_RDONLY, 0);
  }
  posix_spawn_file_actions_adddup2(&actions, out.write, 1);
  posix_spawn_file_actions_adddup2(&actions, err.write, 2);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);  // the caller's sockets stay here
  if (!spec.directory.empty()) {
    posix_spawn_file_actions_addchdir_np(&actions, spec.directory.c_str());
  }
  // A process group of its own (pgid = its pid): a kill reaches the
  // command's own children too.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setpgroup(&attributes, 0);
  // The process ignores SIGPIPE (SetUpProcess) and its threads may block
  // signals: the command starts with neither.
  sigset_t signals;
  sigemptyset(&signals);
  posix_spawnattr_setsigmask(&attributes, &signals);
  sigaddset(&signals, SIGPIPE);
  posix_spawnattr_setsigdefault(&attributes, &signals);
  posix_spawnattr_setflags(&attributes,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<std::string> environment = spec.environment;
  std::vector<std::string> argv_strings = LimitedArgv(spec);
  std::vector<char*> envp = Pointers(environment);
  std::vector<char*> argv = Pointers(argv_strings);
  Running& running = TheRunning();
  pid_t pid = 0;
  int rc = 0;
  {
    runtime::MutexLock lock(running.mutex);  // registered before KillAllCommands can look
    rc = posix_spawnp(&pid, argv[0], &actions, &attributes, argv.data(), envp.data());
    if (rc == 0) running.groups.insert(pid);
  }
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (rc != 0) {
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
  pid_t waited = 0;
  // A command may close its output and go on running: the deadline holds
  // until it has exited too (without a pidfd, look every 10 ms).
  for (;;) {
    waited = waitpid(pid, &status, WNOHANG);
    if (waited < 0 && errno == EINTR) continue;
    if (waited != 0) break;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (!timed_out && left.count() <= 0) {
      timed_out = true;
      kill(-pid, SIGKILL);
    }
    const int wait_ms = timed_out ? 100 : static_cast<int>(std::min<long long>(left.count(), 1000));
    if (exited >= 0) {
      pollfd p{exited, POLLIN, 0};
      poll(&p, 1, wait_ms);
    } else {
      poll(nullptr, 0, std::min(wait_ms, 10));
    }
  }
  const int wait_errno = errno;
  if (exited >= 0) close(exited);
  {
    runtime::MutexLock lock(running.mutex);
    running.groups.erase(pid);
    // What the command left behind: its group, and whatever was orphaned
    // to us (the subreaper) as the command exited, setsid or not.
    kill(-pid, SIGKILL);
    EndStrays(running.groups);
  }
  if (stderr_text.size() > kKeptStderrBytes) {
    stderr_text.erase(0, stderr_text.size() - kKeptStderrBytes);
  }
  if (too_big) {
    stdout_text.resize(spec.max_stdout);
    outcome.end = CommandOutcome::End::kTooMuchOutput;
  } else if (waited != pid) {
    // Someone else reaped the child (a SIGCHLD handler): its status is
    // lost, so success cannot be claimed.
    outcome.end = CommandOutcome::End::kStatusLost;
    outcome.not_started = strerror(wait_errno);
  } else if (timed_out) {
    outcome.end = CommandOutcome::End::kTimedOut;
  } else if (WIFSIGNALED(status)) {
    outcome.end = CommandOutcome::End::kSignalled;
    outcome.code = WTERMSIG(status);
  } else {
    outcome.end = CommandOutcome::End::kExited;
    outcome.code = WEXITSTATUS(status);
  }
  return outcome;
}

void KillAllCommands() {
  Running& running = TheRunning();
  runtime::MutexLock lock(running.mutex);
  for (const pid_t group : running.groups) kill(-group, SIGKILL);
  EndStrays(running.groups);
}

}  // namespace dcp::process
