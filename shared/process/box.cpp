#include "box.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <set>

#include "runtime/mutex.hpp"

namespace dcp::process::box {
namespace {

// The process's running programs: one subreaper per process, so one set.
struct Running {
  runtime::Mutex mutex;
  std::set<pid_t> groups DCP_GUARDED_BY(mutex);  // process groups of the live programs
};

Running& TheRunning() {
  static Running running;
  return running;
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
// program: descendants orphaned to it (the subreaper) when their parent
// exited, whichever program they came from. So a program that forks and
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

// With a memory limit, the program runs under a shell that sets it first:
// no moment where it runs without it (posix_spawn has no rlimit).
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

int Spawn(const CommandSpec& spec, const std::vector<ChildFd>& fds, pid_t& pid) {
  SetUpProcess();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  int highest = 2;
  if (!spec.input_file.empty()) {
    posix_spawn_file_actions_addopen(&actions, 0, spec.input_file.c_str(), O_RDONLY, 0);
  }
  for (const ChildFd& fd : fds) {
    posix_spawn_file_actions_adddup2(&actions, fd.source, fd.target);
    highest = std::max(highest, fd.target);
  }
  posix_spawn_file_actions_addclosefrom_np(&actions, highest + 1);  // our sockets stay here
  if (!spec.directory.empty()) {
    posix_spawn_file_actions_addchdir_np(&actions, spec.directory.c_str());
  }
  // A process group of its own (pgid = its pid): a kill reaches the
  // program's own children too.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setpgroup(&attributes, 0);
  // The process ignores SIGPIPE (SetUpProcess) and its threads may block
  // signals: the program starts with neither.
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
  int rc = 0;
  {
    runtime::MutexLock lock(running.mutex);  // registered before KillAllCommands can look
    rc = posix_spawnp(&pid, argv[0], &actions, &attributes, argv.data(), envp.data());
    if (rc == 0) running.groups.insert(pid);
  }
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  return rc;
}

void EndGroup(pid_t pid) {
  Running& running = TheRunning();
  runtime::MutexLock lock(running.mutex);
  running.groups.erase(pid);
  // What the program left behind: its group, and whatever was orphaned
  // to us (the subreaper) as the program exited, setsid or not.
  kill(-pid, SIGKILL);
  EndStrays(running.groups);
}

void KillAll() {
  Running& running = TheRunning();
  runtime::MutexLock lock(running.mutex);
  for (const pid_t group : running.groups) kill(-group, SIGKILL);
  EndStrays(running.groups);
}

bool Pipe::Open() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return false;
  read = fcntl(fds[0], F_DUPFD_CLOEXEC, 10);
  write = fcntl(fds[1], F_DUPFD_CLOEXEC, 10);
  close(fds[0]);
  close(fds[1]);
  return read >= 0 && write >= 0;
}

Pipe::~Pipe() {
  CloseFd(read);
  CloseFd(write);
}

void CloseFd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

bool Reap(pid_t pid, int pidfd, std::chrono::steady_clock::time_point deadline, bool& timed_out,
          int& status) {
  for (;;) {
    const pid_t waited = waitpid(pid, &status, WNOHANG);
    if (waited < 0 && errno == EINTR) continue;
    if (waited != 0) return waited == pid;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (!timed_out && left.count() <= 0) {
      timed_out = true;
      kill(-pid, SIGKILL);
    }
    const int wait_ms = timed_out ? 100 : static_cast<int>(std::min<long long>(left.count(), 1000));
    if (pidfd >= 0) {
      pollfd p{pidfd, POLLIN, 0};
      poll(&p, 1, wait_ms);
    } else {
      poll(nullptr, 0, std::min(wait_ms, 10));  // no pidfd: look every 10 ms
    }
  }
}

void SetEnd(CommandOutcome& outcome, bool reaped, int wait_errno, bool timed_out, int status) {
  if (!reaped) {
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
}

void KeepTail(std::string& text, std::size_t keep) {
  if (text.size() > 2 * keep) text.erase(0, text.size() - keep);
}

}  // namespace dcp::process::box
