#pragma once
// A user program run in a clean, bounded box, for every step of a job that
// runs one (the worker's exec computation, the leader's topology and
// workload commands, the export command):
// - its environment is exactly the one given (the caller builds it: never
//   dcp's own, whose URLs hold passwords); it inherits only descriptors 0-2,
//   starts with every signal at its default and none blocked;
// - it runs in a process group of its own, and a kill (deadline, too much
//   output, KillAll) ends the whole group;
// - the runner's process is a child subreaper (PR_SET_CHILD_SUBREAPER):
//   what a command leaves running when it ends, also after setsid, is
//   killed and reaped then, so no zombies either (also as PID 1);
// - the deadline holds whatever the program does with its pipes; stdout is
//   capped (the group is killed as soon as it writes past the cap), stderr
//   is drained and only its tail kept; an optional address-space limit.
// Thread-safe: each call has its own child.
#include <chrono>
#include <string>
#include <vector>

namespace dcp::process {

// The variables of the caller's environment that every command gets, if set.
inline const std::vector<std::string> kBaseEnvironment = {
    "PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR"};

// `own` (NAME=value), then the entries of `environment` (the caller's,
// NAME=value) named in kBaseEnvironment or `pass`: never a DCP_ name, which
// only dcp itself sets. And dcp's helpers for programs (HelperDirectory)
// first on PYTHONPATH, so that `import dcp_task` works.
std::vector<std::string> BoxEnvironment(std::vector<std::string> own,
                                        const std::vector<std::string>& pass,
                                        const char* const* environment);

// Where dcp's helpers for programs are (sdk/: dcp_task.py), as built and
// installed: share/dcp/python beside the binary's bin/. Empty if not there.
const std::string& HelperDirectory();

struct CommandSpec {
  std::vector<std::string> argv;         // argv[0] is looked up in PATH; never empty
  std::vector<std::string> environment;  // NAME=value, all of it
  std::string directory;                 // its working directory; empty: the caller's
  std::string input;                     // written to its stdin, which is then closed
  std::string input_file;                // if set: its stdin is this file (`input` unused)
  std::chrono::milliseconds timeout{3'600'000};
  std::size_t max_stdout = 4u << 20;  // writing more kills it (kTooMuchOutput)
  std::size_t memory_limit = 0;       // RLIMIT_AS of it and its children, bytes; 0: none
};

struct CommandOutcome {
  enum class End { kExited, kSignalled, kTimedOut, kTooMuchOutput, kNotStarted, kStatusLost };
  End end = End::kNotStarted;
  int code = 0;             // kExited: the exit status; kSignalled: the signal
  std::string out;          // stdout (at most max_stdout bytes)
  std::string err;          // the tail of stderr (at most 64 KiB)
  std::string not_started;  // kNotStarted, kStatusLost: why
  bool ok() const { return end == End::kExited && code == 0; }
};

// The last `n` bytes of `text` on one line (newlines as spaces, no trailing
// blanks): how a program's stderr tail is quoted in an error.
std::string OneLineTail(const std::string& text, std::size_t n);

// "exit 3: <stderr tail>", "killed by signal 9: ...", "timed out after 2 s",
// "more than N bytes on stdout", ...: one line, the stderr tail at most
// `tail` bytes, newlines as spaces.
std::string Describe(const CommandOutcome& outcome, const CommandSpec& spec,
                     std::size_t tail = 300);

// A command's scratch directory for a scope: made empty (what a crash left
// there is removed first) and removed with everything in it at the end.
// path() is empty if it could not be made.
class ScratchDirectory {
 public:
  explicit ScratchDirectory(std::string path);
  ~ScratchDirectory();
  ScratchDirectory(const ScratchDirectory&) = delete;
  ScratchDirectory& operator=(const ScratchDirectory&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Runs the command and waits for it. The first call sets SIGPIPE to ignored
// for the whole process (a command that exits without reading its stdin
// must fail, not kill its caller with the signal) and makes the process a
// child subreaper. The running commands are the process's (there is one
// subreaper per process): nothing else in it may reap children (libev's
// default loop does, on SIGCHLD: use a loop from ev_loop_new).
CommandOutcome RunCommand(const CommandSpec& spec);

// From any thread: kills every running command's group and what they left
// running. Their RunCommand returns kSignalled.
void KillAllCommands();

}  // namespace dcp::process
