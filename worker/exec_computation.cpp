#include "worker/exec_computation.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>

extern char** environ;

namespace dcp::worker {
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

// stderr kept while the child runs; its last 300 bytes are reported.
constexpr std::size_t kKeptStderrBytes = 64 * 1024;

std::string Tail(const std::string& text, std::size_t n) {
  std::string t = text.size() > n ? text.substr(text.size() - n) : text;
  for (char& c : t) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  while (!t.empty() && t.back() == ' ') t.pop_back();
  return t;
}

}  // namespace

ExecComputation::ExecComputation(ExecSettings settings) : settings_(std::move(settings)) {
  static std::once_flag process_setup;
  std::call_once(process_setup, [] {
    signal(SIGPIPE, SIG_IGN);
    // Descendants whose parent exits become this process's children (as
    // they would of PID 1), also those that left their process group with
    // setsid: EndStrays can then find and end them.
    prctl(PR_SET_CHILD_SUBREAPER, 1);
  });
}

namespace {

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

}  // namespace

void ExecComputation::EndStrays() {
  // Killing one may orphan its own children to us: look again, a few times.
  for (int round = 0; round < 8; ++round) {
    std::vector<pid_t> strays;
    for (const pid_t child : Children()) {
      if (!running_.contains(child)) strays.push_back(child);
    }
    if (strays.empty()) return;
    for (const pid_t stray : strays) {
      kill(stray, SIGKILL);
      while (waitpid(stray, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
  }
}

std::vector<std::string> ExecEnvironment(const TaskMessage& task, const RunContext& run,
                                         const std::vector<std::string>& pass_env,
                                         const char* const* environment) {
  std::vector<std::string> env = {
      "DCP_RUN_ID=" + task.run_id.ToString(),
      "DCP_TASK_ID=" + task.task_id.ToString(),
      "DCP_SELECTION=" + task.selection,
      "DCP_START_DATE=" + FormatLocalMinute(task.start),
      "DCP_END_DATE=" + FormatLocalMinute(task.end),
      "DCP_TZ=" + run.time_zone,
  };
  const auto passed = [&pass_env](std::string_view name) {
    return std::find(kExecBaseEnvironment.begin(), kExecBaseEnvironment.end(), name) !=
               kExecBaseEnvironment.end() ||
           std::find(pass_env.begin(), pass_env.end(), name) != pass_env.end();
  };
  for (const char* const* entry = environment; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const auto equals = text.find('=');
    if (equals == std::string_view::npos) continue;
    const std::string_view name = text.substr(0, equals);
    if (!name.starts_with("DCP_") && passed(name)) env.emplace_back(text);
  }
  return env;
}

Result<std::string> ExecComputation::Compute(const TaskMessage& task, const RunContext& run) {
  Pipe in, out, err;
  if (!in.Open() || !out.Open() || !err.Open())
    return Error{"exec: pipe: " + std::string(strerror(errno))};

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in.read, 0);
  posix_spawn_file_actions_adddup2(&actions, out.write, 1);
  posix_spawn_file_actions_adddup2(&actions, err.write, 2);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);  // the worker's sockets stay here
  // A process group of its own (pgid = its pid): a kill reaches the
  // command's own children too.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setpgroup(&attributes, 0);
  // The worker ignores SIGPIPE (see the constructor) and its threads may
  // block signals: the command starts with neither.
  sigset_t signals;
  sigemptyset(&signals);
  posix_spawnattr_setsigmask(&attributes, &signals);
  sigaddset(&signals, SIGPIPE);
  posix_spawnattr_setsigdefault(&attributes, &signals);
  posix_spawnattr_setflags(&attributes,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<std::string> environment = ExecEnvironment(task, run, settings_.pass_env, environ);
  std::vector<char*> envp;
  envp.reserve(environment.size() + 1);
  for (std::string& entry : environment) envp.push_back(entry.data());
  envp.push_back(nullptr);
  // The limit is set by the shell itself, before it runs the command: no
  // moment where the command runs without it.
  std::string command = settings_.memory_limit > 0
                            ? "ulimit -v " + std::to_string(settings_.memory_limit / 1024) +
                                  " || exit 125\n" + settings_.command
                            : settings_.command;
  char sh[] = "/bin/sh", dash_c[] = "-c";
  char* argv[] = {sh, dash_c, command.data(), nullptr};
  pid_t pid = 0;
  int rc = 0;
  {
    runtime::MutexLock lock(mutex_);  // registered before Abandon can look
    rc = posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, envp.data());
    if (rc == 0) running_.insert(pid);
  }
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (rc != 0) return Error{"exec: spawn: " + std::string(strerror(rc))};
  CloseFd(in.read);
  CloseFd(out.write);
  CloseFd(err.write);

  // Says when the command exits (Linux 5.3+): its end, even while what it
  // left running still holds its pipes. Without one, the end is EOF.
  const int exited = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  const std::string input = EncodeTaskMessage(task) + "\n";
  std::size_t written = 0;
  std::string stdout_text, stderr_text;
  const auto deadline = std::chrono::steady_clock::now() + settings_.timeout;
  bool timed_out = false, too_big = false;
  fcntl(in.write, F_SETFL, O_NONBLOCK);
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
      if (n < 0 && errno != EAGAIN) written = input.size();  // child closed stdin: fine
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
      } while (ended && *fd >= 0 && stdout_text.size() <= settings_.max_output_bytes);
    }
    if (ended && stdout_text.size() <= settings_.max_output_bytes) break;
    if (stdout_text.size() > settings_.max_output_bytes) {
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
  if (exited >= 0) close(exited);
  {
    runtime::MutexLock lock(mutex_);
    running_.erase(pid);
    // What the command left behind: its group, and whatever was orphaned
    // to us (the subreaper) as the command exited, setsid or not.
    kill(-pid, SIGKILL);
    EndStrays();
  }
  // Someone else reaped the child (a SIGCHLD handler): its status is lost,
  // so success cannot be claimed.
  if (waited != pid) return Error{"exec: exit status lost: " + std::string(strerror(errno))};
  if (timed_out) {
    return Error{"exec: timed out after " + std::to_string(settings_.timeout.count()) + " s"};
  }
  if (too_big) {
    return Error{"exec: more than " + std::to_string(settings_.max_output_bytes) +
                     " bytes on stdout, the result limit (DCP_MAX_RESULT_BYTES)",
                 /*permanent=*/true};
  }
  if (WIFSIGNALED(status)) {
    return Error{"exec: killed by signal " + std::to_string(WTERMSIG(status)) + ": " +
                 Tail(stderr_text, 300)};
  }
  if (WEXITSTATUS(status) != 0) {
    return Error{"exec: exit " + std::to_string(WEXITSTATUS(status)) + ": " +
                 Tail(stderr_text, 300)};
  }
  return stdout_text;
}

void ExecComputation::Abandon() {
  runtime::MutexLock lock(mutex_);
  for (const pid_t group : running_) kill(-group, SIGKILL);
  EndStrays();
}

}  // namespace dcp::worker
