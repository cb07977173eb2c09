#include "compute/persistent_computation.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "process/persistent_process.hpp"

extern char** environ;

namespace dcp::compute {
namespace {

using process::PersistentProcess;
using Clock = std::chrono::steady_clock;

// A process's time to exit by itself once its input ends (recycling, the
// worker's end) before it is killed.
constexpr std::chrono::milliseconds kExitGrace{2000};
// The ready line, and what is quoted of a line that breaks the protocol.
constexpr std::size_t kMaxReadyLine = 64 * 1024;
constexpr std::size_t kQuoted = 120;

std::string Quoted(std::string_view line) {
  return "'" + std::string(line.substr(0, kQuoted)) + (line.size() > kQuoted ? "...'" : "'");
}

std::string JsonString(const std::string& text) { return nlohmann::json(text).dump(); }

// A response line: the result or the program's error, or (violation) why
// the line breaks the protocol.
struct Response {
  std::optional<std::string> violation;
  Result<std::string> answer = Error{""};
  std::string task_id;  // the one it answered for, if it named one
};

Response ParseResponse(const std::string& line, const std::string& task_id) {
  Response r;
  const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    r.violation = "wrote " + Quoted(line) + " on descriptor 4, not a JSON object";
    return r;
  }
  const auto id = j.find("task_id");
  if (id != j.end() && id->is_string()) r.task_id = id->get<std::string>();
  if (id == j.end() || !id->is_string()) {
    r.violation = "answered without a task_id: " + Quoted(line);
  } else if (r.task_id != task_id) {
    r.violation = "answered for task " + id->get<std::string>() + " when asked for " + task_id;
  } else if (const auto result = j.find("result"); result != j.end() && result->is_string()) {
    r.answer = result->get<std::string>();
  } else if (const auto error = j.find("error"); error != j.end() && error->is_string()) {
    const auto retryable = j.find("retryable");
    if (retryable != j.end() && !retryable->is_boolean()) {
      r.violation = "answered with a retryable that is not true or false: " + Quoted(line);
    } else {
      const bool permanent = retryable != j.end() && !retryable->get<bool>();
      r.answer = Error{"program: " + error->get<std::string>(), permanent};
    }
  } else {
    r.violation = "answered with neither a result nor an error (strings): " + Quoted(line);
  }
  return r;
}

std::string Ready(const std::string& line) {
  const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || j.value("ready", nlohmann::json()) != true) {
    return "wrote " + Quoted(line) + " instead of {\"ready\": true}";
  }
  if (const auto version = j.find("protocol"); version != j.end() && *version != kProtocolVersion) {
    return "speaks protocol " + version->dump() + ", this worker speaks " +
           std::to_string(kProtocolVersion);
  }
  return {};
}

std::string Seconds(std::chrono::milliseconds ms) {
  return ms.count() % 1000 == 0 ? std::to_string(ms.count() / 1000) + " s"
                                : std::to_string(ms.count()) + " ms";
}

}  // namespace

struct PersistentComputation::Slot {
  std::optional<process::ScratchDirectory> work_dir;  // outlives the process
  std::unique_ptr<PersistentProcess> process;
  long long tasks = 0;          // answered by this process
  long long recycle_after = 0;  // 0: never
  std::optional<RunId> run;     // of its last task
  std::string last_task;        // the id of its last task
  bool failing = false;         // its last start failed
};

PersistentComputation::PersistentComputation(ExecSettings settings)
    : settings_(std::move(settings)),
      topology_files_(settings_.work_dir),
      random_(std::random_device{}()) {
  if (settings_.argv.empty()) settings_.argv = {"/bin/sh", "-c", settings_.command};
}

PersistentComputation::~PersistentComputation() {
  std::vector<std::unique_ptr<Slot>> idle;
  {
    runtime::MutexLock lock(mutex_);
    idle.swap(idle_);
  }
  for (auto& slot : idle) End(*slot, kExitGrace);
}

std::unique_ptr<PersistentComputation::Slot> PersistentComputation::Take() {
  runtime::MutexLock lock(mutex_);
  if (idle_.empty()) return std::make_unique<Slot>();
  std::unique_ptr<Slot> slot = std::move(idle_.back());
  idle_.pop_back();
  return slot;
}

void PersistentComputation::Give(std::unique_ptr<Slot> slot) {
  runtime::MutexLock lock(mutex_);
  idle_.push_back(std::move(slot));
}

Result<bool> PersistentComputation::Prepare(int threads) {
  const auto count = static_cast<std::size_t>(std::max(threads, 0));
  std::vector<std::unique_ptr<Slot>> slots(count);
  std::vector<std::string> errors(count);
  for (auto& slot : slots) slot = std::make_unique<Slot>();
  {
    std::vector<std::thread> starters;  // in parallel: a slow start is paid once
    starters.reserve(count);
    for (std::size_t i = 0; i < slots.size(); ++i) {
      starters.emplace_back([this, &slots, &errors, i] {
        if (auto started = Start(*slots[i]); !started) errors[i] = started.reason();
      });
    }
    for (std::thread& t : starters) t.join();
  }
  for (auto& slot : slots) Give(std::move(slot));
  for (const std::string& error : errors) {
    if (!error.empty()) return Error{error};
  }
  return true;
}

Computation::Health PersistentComputation::health() const {
  runtime::MutexLock lock(mutex_);
  if (broken_) return Health::kBroken;
  return failing_ > 0 ? Health::kFailing : Health::kReady;
}

void PersistentComputation::Abandon() {
  runtime::MutexLock lock(mutex_);
  abandoned_ = true;
  for (const pid_t pid : live_) kill(-pid, SIGKILL);
  abandoned_cv_.NotifyAll();
}

bool PersistentComputation::Pause(std::chrono::milliseconds delay) {
  const auto until = Clock::now() + delay;
  runtime::MutexLock lock(mutex_);
  while (!abandoned_ && abandoned_cv_.WaitUntil(mutex_, until)) {
  }
  return !abandoned_;
}

process::CommandOutcome PersistentComputation::End(Slot& slot, std::chrono::milliseconds grace) {
  process::CommandOutcome outcome;
  if (!slot.process) return outcome;
  outcome = slot.process->Stop(grace);
  {
    runtime::MutexLock lock(mutex_);
    std::erase(live_, slot.process->pid());
  }
  slot.process.reset();
  slot.work_dir.reset();
  return outcome;
}

Result<bool> PersistentComputation::StartOnce(Slot& slot) {
  long long number = 0;
  {
    runtime::MutexLock lock(mutex_);
    if (abandoned_) return Error{"the worker is stopping"};
    number = ++started_;
    const long long n = settings_.persistent.recycle_tasks;
    slot.recycle_after =
        n > 0 ? std::uniform_int_distribution<long long>(n - n / 10, n + n / 10)(random_) : 0;
  }
  std::vector<std::string> own = {"DCP_PROTOCOL=" + std::to_string(kProtocolVersion)};
  if (!settings_.work_dir.empty()) {
    slot.work_dir.emplace(
        (std::filesystem::path(settings_.work_dir) / "persistent" / std::to_string(number))
            .string());
    if (slot.work_dir->path().empty()) return Error{"cannot make its work directory"};
    own.push_back("DCP_WORK_DIR=" + slot.work_dir->path());
  }
  process::CommandSpec spec;
  spec.argv = settings_.argv;
  spec.environment = process::BoxEnvironment(std::move(own), settings_.pass_env, environ);
  spec.directory = settings_.directory;
  spec.memory_limit = settings_.memory_limit;
  slot.process = std::make_unique<PersistentProcess>(spec);
  if (!slot.process->started()) {
    const std::string why = slot.process->not_started();
    slot.process.reset();
    return Error{"could not start " + spec.argv[0] + ": " + why};
  }
  {
    runtime::MutexLock lock(mutex_);
    live_.push_back(slot.process->pid());
    // Abandoned while it was spawned: its ready wait ends at once.
    if (abandoned_) kill(-slot.process->pid(), SIGKILL);
  }
  const auto timeout = std::chrono::milliseconds(settings_.persistent.startup_timeout);
  std::string line;
  const auto read = slot.process->Exchange("", Clock::now() + timeout, kMaxReadyLine, line);
  std::string problem;
  if (read == PersistentProcess::Read::kLine) {
    problem = Ready(line);
  } else if (read == PersistentProcess::Read::kTimedOut) {
    problem = "not ready within " + Seconds(timeout) + " (it must write {\"ready\": true})";
  } else if (read == PersistentProcess::Read::kTooLong) {
    problem = "wrote more than " + std::to_string(kMaxReadyLine) +
              " bytes without a newline instead of {\"ready\": true}";
  }
  if (read == PersistentProcess::Read::kEnded) {
    problem = "ended at start-up: " + process::Describe(End(slot, kExitGrace), spec);
  } else if (!problem.empty()) {
    const std::string err = slot.process->err();
    End(slot, std::chrono::milliseconds(0));
    if (!err.empty()) problem += ": " + process::OneLineTail(err, 300);
  }
  if (!problem.empty()) return Error{problem};
  slot.tasks = 0;
  slot.run.reset();
  slot.last_task.clear();
  return true;
}

Result<bool> PersistentComputation::Start(Slot& slot) {
  const int tries = std::max(1, settings_.persistent.startup_tries);
  std::chrono::milliseconds delay{1000};
  for (int t = 1;; ++t) {
    auto started = StartOnce(slot);
    {
      runtime::MutexLock lock(mutex_);
      if (started) {
        if (slot.failing) --failing_;
        slot.failing = false;
        return true;
      }
      if (abandoned_) return Error{started.reason()};
      if (!slot.failing) ++failing_;
      slot.failing = true;
      if (t >= tries) {
        broken_ = true;
        broken_reason_ = "the persistent program did not start in " + std::to_string(tries) +
                         " tries; the last: " + started.reason();
        spdlog::error("{}", broken_reason_);
        return Error{broken_reason_};
      }
    }
    spdlog::warn("persistent program: start {} of {} failed ({}); again in {}", t, tries,
                 started.reason(), Seconds(delay));
    if (!Pause(delay)) return Error{"the worker is stopping"};
    delay *= 2;
  }
}

Result<std::string> PersistentComputation::Compute(const TaskMessage& task, const RunContext& run,
                                                   int attempt) {
  std::unique_ptr<Slot> slot = Take();
  Result<std::string> result = Ask(*slot, task, run, attempt);
  Give(std::move(slot));
  return result;
}

Result<std::string> PersistentComputation::Ask(Slot& slot, const TaskMessage& task,
                                               const RunContext& run, int attempt,
                                               bool asked_again) {
  const PersistentSettings& persistent = settings_.persistent;
  if (slot.process && persistent.recycle_per_run && slot.run && *slot.run != task.run_id) {
    End(slot, kExitGrace);
  }
  if (slot.process && slot.process->Unasked()) {
    spdlog::warn(
        "persistent program {}: wrote on descriptor 4 unasked, or ended, between tasks: "
        "a fresh one is started",
        slot.process->pid());
    End(slot, std::chrono::milliseconds(0));
  }
  if (!slot.process) {
    {
      runtime::MutexLock lock(mutex_);
      if (broken_) return Error{broken_reason_};
    }
    if (auto started = Start(slot); !started) return Error{started.reason()};
  }
  std::string topology_field;  // none without a work directory
  if (!settings_.work_dir.empty()) {
    auto topology = topology_files_.PathFor(task.run_id, run.topology);
    if (!topology) return Error{"exec: " + topology.reason()};
    topology_field = R"(,"topology_file":)" + JsonString(*topology);
  }
  const std::string request = R"({"protocol":1,"task":)" + EncodeTaskMessage(task) +
                              R"(,"attempt":)" + std::to_string(attempt) + topology_field +
                              R"(,"tz":)" + JsonString(run.time_zone) + R"(,"job":)" +
                              JsonString(run.job_name) + "}\n";
  PersistentProcess& process = *slot.process;
  process.ClearOutput();
  std::string line;
  const std::string task_id = task.task_id.ToString();
  const auto timeout = std::chrono::milliseconds(settings_.timeout);
  const auto read = process.Exchange(request, Clock::now() + timeout, max_line(), line);
  std::string failure;
  switch (read) {
    case PersistentProcess::Read::kLine: {
      Response response = ParseResponse(line, task_id);
      if (response.violation && !asked_again && !slot.last_task.empty() &&
          response.task_id == slot.last_task) {
        // A second answer to the last task, come late: the process is
        // replaced and the task asked again of the fresh one.
        spdlog::warn("persistent program {}: answered task {} twice: a fresh one is started",
                     process.pid(), slot.last_task);
        End(slot, std::chrono::milliseconds(0));
        return Ask(slot, task, run, attempt, /*asked_again=*/true);
      }
      if (!response.violation) {
        ++slot.tasks;
        slot.run = task.run_id;
        slot.last_task = task_id;
        if (slot.recycle_after > 0 && slot.tasks >= slot.recycle_after) {
          End(slot, kExitGrace);
        } else if (persistent.recycle_memory > 0 &&
                   process.ResidentBytes() > persistent.recycle_memory) {
          spdlog::info(
              "persistent program {}: {} MiB resident after a task, over the limit of {} "
              "MiB: a fresh one is started",
              process.pid(), process.ResidentBytes() >> 20, persistent.recycle_memory >> 20);
          End(slot, kExitGrace);
        }
        return std::move(response.answer);
      }
      failure = *response.violation;
      break;
    }
    case PersistentProcess::Read::kTimedOut:
      failure = "timed out after " + Seconds(timeout);
      break;
    case PersistentProcess::Read::kTooLong:
      failure = "wrote a line over " + std::to_string(max_line()) +
                " bytes on descriptor 4 (DCP_MAX_RESULT_BYTES)";
      break;
    case PersistentProcess::Read::kEnded:
      break;
  }
  const std::string err = process.err();
  const pid_t pid = process.pid();
  const process::CommandOutcome end = End(slot, std::chrono::milliseconds(0));
  if (read == PersistentProcess::Read::kEnded) {
    process::CommandSpec named;
    named.argv = settings_.argv;
    failure = "ended while computing the task: " + process::Describe(end, named);
  } else if (!err.empty()) {
    failure += ": " + process::OneLineTail(err, 300);
  }
  spdlog::warn("persistent program {}: {}; killed, a fresh one is started", pid, failure);
  return Error{"program: " + failure};
}

}  // namespace dcp::compute
