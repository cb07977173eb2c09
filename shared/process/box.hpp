#pragma once
// Internal to dcp_process: the box every user program starts in, shared by
// RunCommand (a command per call) and PersistentProcess (a program that
// stays). See command_runner.hpp for what the box promises.
#include <sys/types.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "process/command_runner.hpp"

namespace dcp::process::box {

// Once per process: SIGPIPE ignored, the process a child subreaper.
void SetUpProcess();

// Descriptors of the child: `target` (0, 1, 2, 3, 4 ...) is a copy of our
// `source`. Everything else is closed in the child (`spec.input_file`, if
// set, is opened as its descriptor 0 instead).
struct ChildFd {
  int source;
  int target;
};

// Starts `spec.argv` in the box (its environment, directory, memory limit,
// a process group of its own, default signals) and registers its group as
// running, so that EndStrays and KillAllCommands know it. Returns 0 and the
// pid, or the errno of the failed spawn (nothing registered).
int Spawn(const CommandSpec& spec, const std::vector<ChildFd>& fds, pid_t& pid);

// Kills the group of `pid` (which has exited, or is to be ended), forgets
// it, and kills and reaps every child of this process that is not a running
// command: what the program left behind, setsid or not.
void EndGroup(pid_t pid);

// Kills every running program's group and what they left running.
void KillAll();

// A pipe whose ends are closed with it; both ends close-on-exec, at
// descriptors >= 10 (so that mapping them onto 3 and 4 in a child never
// overwrites the other end).
struct Pipe {
  int read = -1;
  int write = -1;
  bool Open();
  ~Pipe();
};

void CloseFd(int& fd);

// Waits for `pid` to exit (pidfd: the descriptor from pidfd_open, or -1):
// kills its group at `deadline` if it has not by then. Returns its waitpid
// status in `status`, and false if the status is lost (someone else reaped
// it; errno says why).
bool Reap(pid_t pid, int pidfd, std::chrono::steady_clock::time_point deadline, bool& timed_out,
          int& status);

// How a reaped program ended, into `outcome` (end and code): kStatusLost
// when `reaped` is false (`wait_errno` says why), kTimedOut when its
// deadline killed it, else its exit or signal.
void SetEnd(CommandOutcome& outcome, bool reaped, int wait_errno, bool timed_out, int status);

// Keeps only the last `keep` bytes of a drained stream once it grows past
// twice that (amortised: one move per `keep` bytes read).
void KeepTail(std::string& text, std::size_t keep);

}  // namespace dcp::process::box
