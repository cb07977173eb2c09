#pragma once
// A user program that stays: started once in the box of RunCommand (its
// environment, directory, process group, subreaper, memory limit) and
// spoken to in lines, requests on its descriptor 3 and responses on its
// descriptor 4, so that its stdout and stderr stay its own: both are
// drained whenever the owner waits on it, and their tails kept. Its
// descriptor 0 is /dev/null. What the lines say is the caller's protocol
// (compute/persistent_computation.hpp).
// Not thread-safe: one owner thread at a time. KillAllCommands (any thread)
// kills it too; the owner's next call then returns kEnded.
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "process/command_runner.hpp"

namespace dcp::process {

class PersistentProcess {
 public:
  // Starts spec.argv with spec.environment, directory and memory_limit
  // (input, timeout and max_stdout are not used). started() says if it did.
  explicit PersistentProcess(const CommandSpec& spec);
  // Kills it at once if it still runs (Stop with no grace).
  ~PersistentProcess();
  PersistentProcess(const PersistentProcess&) = delete;
  PersistentProcess& operator=(const PersistentProcess&) = delete;

  bool started() const { return pid_ > 0; }
  const std::string& not_started() const { return not_started_; }  // why, if not
  pid_t pid() const { return pid_; }

  enum class Read {
    kLine,      // `line` holds one line (without its newline)
    kTimedOut,  // no line by the deadline
    kTooLong,   // more than max_line bytes without a newline
    kEnded,     // it exited, or closed its descriptor 4, without a line
  };
  // Writes `request` (empty, or one line ending in '\n') to its descriptor
  // 3, then waits until `deadline` for one line on its descriptor 4,
  // draining stdout and stderr meanwhile.
  Read Exchange(std::string_view request, std::chrono::steady_clock::time_point deadline,
                std::size_t max_line, std::string& line);

  // Whether bytes are waiting on descriptor 4 that no request asked for (a
  // second answer), or it has ended; does not wait. Drains stdout and
  // stderr too.
  bool Unasked();

  // Ends it: closes its descriptor 3 (the end of its input), waits up to
  // `grace` for it to exit, then kills its group; reaps it and whatever it
  // left running. How it ended (kExited, kSignalled, kTimedOut when the
  // grace ran out, kStatusLost). Once only: later calls return the same.
  CommandOutcome Stop(std::chrono::milliseconds grace);

  // Resident memory of the program itself (not its children), in bytes; 0
  // if unknown.
  std::size_t ResidentBytes() const;

  // What it wrote on stdout and stderr since the last ClearOutput (at most
  // the last 64 KiB of each).
  const std::string& out() const { return out_; }
  const std::string& err() const { return err_; }
  void ClearOutput();

 private:
  // Reads what is there on stdout, stderr and descriptor 4 (whose revents
  // are given), without waiting.
  void Drain(short out_events, short err_events, short response_events);

  pid_t pid_ = -1;
  int pidfd_ = -1;      // says when it exits
  int requests_ = -1;   // our end of its descriptor 3
  int responses_ = -1;  // our end of its descriptor 4
  int stdout_ = -1;     // our ends of its stdout and stderr
  int stderr_ = -1;
  bool exited_ = false;      // the pidfd said so
  std::string buffer_;       // read from descriptor 4, not yet returned
  std::size_t scanned_ = 0;  // bytes of buffer_ known to hold no newline
  std::string out_, err_;
  std::string not_started_;
  bool stopped_ = false;
  CommandOutcome end_;
};

}  // namespace dcp::process
