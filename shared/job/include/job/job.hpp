#pragma once
// A team's batch job as dcp runs it: the job file (YAML; JSON is valid
// YAML), parsed and checked once. Four steps, in the shape of the for loop
// they come from: build the topology, list the workload (selections),
// compute each selection per date window, export the results; plus what a
// run needs besides (schedule, range, time zone, queue). The reference
// workload is one such job (ReferenceJob), used when none is given.
// The job file reference: README, "Bring your own job".
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/result.hpp"

namespace dcp::job {

// A step's program: an argv list, run as it is, or a string, run by
// `/bin/sh -c` (argv {"/bin/sh", "-c", text}). Never empty when set.
struct Command {
  std::vector<std::string> argv;
  bool empty() const { return argv.empty(); }
};

// Where a step's data comes from.
enum class Source { kNone, kBuiltin, kItems, kFile, kCommand };

// topology: the run's topology, opaque bytes stored with the run and given
// to every task. kBuiltin: the reference grid (or --topology FILE).
struct TopologyStep {
  Source source = Source::kNone;  // kNone: an empty topology
  std::string file;               // kFile: relative to the job file's directory
  Command command;                // kCommand: run by the leader once per run
};

// workload: the selections, in planning order. kBuiltin: the reference
// topology's feeders; kCommand prints one id per line, or JSON Lines with
// an "id" (and optional "params").
struct WorkloadStep {
  Source source = Source::kNone;
  std::vector<std::string> items;  // kItems
  std::string file;                // kFile: one id per line, as a command prints
  Command command;                 // kCommand: run by the leader once per run
};

// compute.recycle: when a persistent program is replaced by a fresh one.
struct Recycle {
  long long tasks = 0;   // after about this many tasks (+-10 %); 0: never
  long long memory = 0;  // MiB resident, checked after each task; 0: never
  bool per_run = false;  // when a task of another run comes
};

struct ComputeStep {
  std::string builtin;  // reference, noop, sleep:MS, spin:MS; empty: command
  Command command;
  // oneshot: a process per task; persistent: one per worker thread, kept
  // between tasks (docs/protocol.md), with the keys below.
  std::string mode = "oneshot";
  std::optional<long long> startup_timeout;  // seconds to say ready (60)
  std::optional<int> startup_tries;          // failed starts in a row before the worker exits (3)
  Recycle recycle;
  std::optional<long long> timeout;  // seconds (--task-timeout)
  std::optional<int> attempts;       // deliveries before FAILED (--max-attempts)
  std::optional<long long> memory;   // MiB of address space (--exec-memory)
  std::vector<std::string> env;      // names passed through from the worker's environment
};

struct ExportStep {
  Command command;                   // empty: the CSV of `dcp export`
  std::optional<long long> timeout;  // seconds
  std::vector<std::string> env;
};

struct Job {
  std::string name;  // [a-z0-9][a-z0-9._-]*, at most 64
  TopologyStep topology;
  WorkloadStep workload;
  std::string window = "month";  // month, week, day, Nh or none: checked
  ComputeStep compute;
  ExportStep export_step;
  std::string schedule;  // cron, checked; empty: none
  // A range kind (previous-month, ...) or "FROM..TO" dates; empty: the
  // previous month. Checked.
  std::string range;
  std::string tz;     // IANA zone, checked; empty: UTC
  std::string queue;  // empty: QueueOf gives dcp.<name>
  // The job file's directory: relative files and every step's working
  // directory. Empty: the current one.
  std::string directory;
  std::string text;    // the file as given: stored with each run
  std::string sha256;  // of text, hex: a run is pinned to it
};

// The queue of a job: `queue` if given, else dcp.<name> (the reference
// job's is dcp.tasks).
std::string QueueOf(const Job& job);

// Parses and checks `text`. An error names the key path, what was expected
// and the line: "compute.timeout: expected a whole number of seconds, got
// 'soon' (line 9)". `origin` prefixes it (the file's name).
Result<Job> ParseJob(std::string_view text, std::string_view origin = "job file");

// Reads and parses the file; `directory` is set to the file's.
Result<Job> LoadJobFile(const std::string& path);

// The reference workload as a job (jobs/reference.yaml, compiled in).
const Job& ReferenceJob();

// sha256 of `bytes`, 64 lowercase hex digits.
std::string Sha256Hex(std::string_view bytes);

}  // namespace dcp::job
