#include "job/job.hpp"

#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "domain/cron_schedule.hpp"
#include "domain/local_time.hpp"
#include "domain/run_range.hpp"
#include "domain/window_plan.hpp"

namespace dcp::job {

std::string_view EmbeddedReferenceJob();  // embedded_reference_job.cpp (generated)

namespace {

// A check that failed: the key path and the reason, with the line.
struct Invalid {
  std::string message;
};

std::string Line(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  return mark.line >= 0 ? " (line " + std::to_string(mark.line + 1) + ")" : "";
}

[[noreturn]] void Fail(const std::string& path, const std::string& what, const YAML::Node& node) {
  throw Invalid{path + ": " + what + Line(node)};
}

std::string KindOf(const YAML::Node& node) {
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a list";
  if (node.IsNull()) return "nothing";
  return "'" + node.Scalar() + "'";
}

std::string Join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

// The keys of a mapping, each checked against `allowed`: an unknown key is
// an error (a typo must not be ignored).
void CheckKeys(const YAML::Node& map, const std::string& path,
               const std::set<std::string>& allowed) {
  if (!map.IsMap())
    Fail(path.empty() ? "the file" : path, "expected a mapping, got " + KindOf(map), map);
  for (const auto& entry : map) {
    const std::string key = entry.first.Scalar();
    if (!allowed.contains(key)) {
      std::string known;
      for (const auto& k : allowed) known += (known.empty() ? "" : ", ") + k;
      Fail(Join(path, key), "unknown key (known here: " + known + ")", entry.first);
    }
  }
}

std::string String(const YAML::Node& node, const std::string& path) {
  if (!node.IsScalar()) Fail(path, "expected a string, got " + KindOf(node), node);
  return node.Scalar();
}

bool Boolean(const YAML::Node& node, const std::string& path) {
  const std::string text = node.IsScalar() ? node.Scalar() : "";
  if (text == "true") return true;
  if (text == "false") return false;
  Fail(path, "expected true or false, got " + (node.IsScalar() ? "'" + text + "'" : KindOf(node)),
       node);
}

long long WholeNumber(const YAML::Node& node, const std::string& path, const std::string& what,
                      long long min, long long max) {
  const std::string text = node.IsScalar() ? node.Scalar() : "";
  long long n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (!node.IsScalar() || ec != std::errc() || end != text.data() + text.size() || n < min ||
      n > max) {
    Fail(path,
         "expected " + what + " from " + std::to_string(min) + " to " + std::to_string(max) +
             ", got " + KindOf(node),
         node);
  }
  return n;
}

std::vector<std::string> Strings(const YAML::Node& node, const std::string& path) {
  if (!node.IsSequence()) Fail(path, "expected a list of strings, got " + KindOf(node), node);
  std::vector<std::string> values;
  for (std::size_t i = 0; i < node.size(); ++i) {
    values.push_back(String(node[i], path + "[" + std::to_string(i) + "]"));
  }
  return values;
}

// A string for /bin/sh -c, or an argv list.
Command CommandOf(const YAML::Node& node, const std::string& path) {
  if (node.IsScalar()) {
    if (node.Scalar().empty()) Fail(path, "expected a command, got an empty string", node);
    return Command{{"/bin/sh", "-c", node.Scalar()}};
  }
  if (!node.IsSequence()) {
    Fail(path,
         "expected a command: a string (run by /bin/sh -c) or an argv list, got " + KindOf(node),
         node);
  }
  Command command{Strings(node, path)};
  if (command.empty() || command.argv[0].empty())
    Fail(path, "expected a command, got an empty list", node);
  return command;
}

// The names of compute.env / export.env: variables of the worker's
// environment, never dcp's own.
std::vector<std::string> EnvNames(const YAML::Node& node, const std::string& path) {
  std::vector<std::string> names = Strings(node, path);
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string& name = names[i];
    const bool valid = !name.empty() && name.find_first_not_of(
                                            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                            "0123456789_") == std::string::npos;
    const std::string at = path + "[" + std::to_string(i) + "]";
    if (!valid) Fail(at, "'" + name + "' is not a variable name", node[i]);
    if (name.starts_with("DCP_")) {
      Fail(at, name + ": dcp's own variables are never passed to a step (they hold its secrets)",
           node[i]);
    }
  }
  return names;
}

// Exactly one of the source keys of a step.
Source OneSource(const YAML::Node& step, const std::string& path,
                 const std::vector<std::pair<std::string, Source>>& sources) {
  Source found = Source::kNone;
  std::string first;
  for (const auto& [key, source] : sources) {
    if (!step[key]) continue;
    if (found != Source::kNone)
      Fail(path, "give one of " + first + " and " + key + ", not both", step);
    found = source;
    first = key;
  }
  if (found == Source::kNone) {
    std::string keys;
    for (const auto& [key, source] : sources) keys += (keys.empty() ? "" : ", ") + key;
    Fail(path, "expected one of " + keys, step);
  }
  return found;
}

void Builtin(const YAML::Node& node, const std::string& path, const std::set<std::string>& names) {
  const std::string name = String(node, path);
  if (!names.contains(name)) Fail(path, "unknown built-in '" + name + "'", node);
}

TopologyStep TopologyOf(const YAML::Node& node) {
  CheckKeys(node, "topology", {"builtin", "command", "file"});
  TopologyStep step;
  step.source = OneSource(
      node, "topology",
      {{"command", Source::kCommand}, {"file", Source::kFile}, {"builtin", Source::kBuiltin}});
  if (step.source == Source::kCommand)
    step.command = CommandOf(node["command"], "topology.command");
  if (step.source == Source::kFile) step.file = String(node["file"], "topology.file");
  if (step.source == Source::kBuiltin) Builtin(node["builtin"], "topology.builtin", {"reference"});
  return step;
}

WorkloadStep WorkloadOf(const YAML::Node& node) {
  CheckKeys(node, "workload", {"builtin", "command", "file", "items"});
  WorkloadStep step;
  step.source = OneSource(node, "workload",
                          {{"items", Source::kItems},
                           {"file", Source::kFile},
                           {"command", Source::kCommand},
                           {"builtin", Source::kBuiltin}});
  if (step.source == Source::kItems) step.items = Strings(node["items"], "workload.items");
  if (step.source == Source::kFile) step.file = String(node["file"], "workload.file");
  if (step.source == Source::kCommand)
    step.command = CommandOf(node["command"], "workload.command");
  if (step.source == Source::kBuiltin) Builtin(node["builtin"], "workload.builtin", {"reference"});
  return step;
}

ComputeStep ComputeOf(const YAML::Node& node) {
  CheckKeys(node, "compute",
            {"attempts", "builtin", "command", "env", "memory", "mode", "recycle",
             "startup_timeout", "startup_tries", "timeout"});
  ComputeStep step;
  const Source source =
      OneSource(node, "compute", {{"command", Source::kCommand}, {"builtin", Source::kBuiltin}});
  if (source == Source::kCommand) {
    step.command = CommandOf(node["command"], "compute.command");
  } else {
    step.builtin = String(node["builtin"], "compute.builtin");
    if (step.builtin != "reference" && step.builtin != "noop" &&
        !step.builtin.starts_with("sleep:") && !step.builtin.starts_with("spin:")) {
      Fail("compute.builtin",
           "unknown built-in '" + step.builtin + "' (reference, noop, sleep:MS, spin:MS)",
           node["builtin"]);
    }
  }
  if (node["mode"]) {
    step.mode = String(node["mode"], "compute.mode");
    if (step.mode != "oneshot" && step.mode != "persistent") {
      Fail("compute.mode",
           "expected oneshot (a process per task) or persistent (one kept per worker thread), "
           "got '" +
               step.mode + "'",
           node["mode"]);
    }
    if (step.mode == "persistent" && source != Source::kCommand) {
      Fail("compute.mode", "persistent needs a compute.command", node["mode"]);
    }
  }
  const bool persistent = step.mode == "persistent";
  for (const char* key : {"startup_timeout", "startup_tries", "recycle"}) {
    if (node[key] && !persistent) {
      Fail(std::string("compute.") + key, "only with mode: persistent", node[key]);
    }
  }
  if (node["startup_timeout"]) {
    step.startup_timeout =
        WholeNumber(node["startup_timeout"], "compute.startup_timeout", "seconds", 1, 3600);
  }
  if (node["startup_tries"]) {
    step.startup_tries = static_cast<int>(
        WholeNumber(node["startup_tries"], "compute.startup_tries", "tries", 1, 100));
  }
  if (const YAML::Node recycle = node["recycle"]) {
    CheckKeys(recycle, "compute.recycle", {"memory", "per_run", "tasks"});
    if (recycle["tasks"]) {
      step.recycle.tasks =
          WholeNumber(recycle["tasks"], "compute.recycle.tasks", "tasks", 1, 1LL << 40);
    }
    if (recycle["memory"]) {
      step.recycle.memory =
          WholeNumber(recycle["memory"], "compute.recycle.memory", "MiB", 1, 1LL << 24);
    }
    if (recycle["per_run"]) {
      step.recycle.per_run = Boolean(recycle["per_run"], "compute.recycle.per_run");
    }
  }
  if (node["timeout"]) {
    step.timeout = WholeNumber(node["timeout"], "compute.timeout", "seconds", 1, 7LL * 24 * 3600);
  }
  if (node["attempts"]) {
    step.attempts =
        static_cast<int>(WholeNumber(node["attempts"], "compute.attempts", "attempts", 1, 1000));
  }
  if (node["memory"]) {
    step.memory = WholeNumber(node["memory"], "compute.memory", "MiB", 1, 1LL << 24);
  }
  if (node["env"]) step.env = EnvNames(node["env"], "compute.env");
  return step;
}

ExportStep ExportOf(const YAML::Node& node) {
  CheckKeys(node, "export", {"command", "env", "timeout"});
  ExportStep step;
  if (!node["command"]) Fail("export", "expected command", node);
  step.command = CommandOf(node["command"], "export.command");
  if (node["timeout"]) {
    step.timeout = WholeNumber(node["timeout"], "export.timeout", "seconds", 1, 7LL * 24 * 3600);
  }
  if (node["env"]) step.env = EnvNames(node["env"], "export.env");
  return step;
}

// "previous-month" and the other kinds, or {from: DATE, to: DATE}.
std::string RangeOf(const YAML::Node& node) {
  if (node.IsScalar()) {
    const std::string& kind = node.Scalar();
    if (!ParseRangeKind(kind)) {
      Fail("range",
           "expected previous-month, previous-week, previous-day, current-month or {from, to}, "
           "got '" +
               kind + "'",
           node);
    }
    return kind;
  }
  CheckKeys(node, "range", {"from", "to"});
  std::string dates[2];
  int i = 0;
  for (const char* key : {"from", "to"}) {
    const std::string path = std::string("range.") + key;
    if (!node[key]) Fail(path, "missing (a date YYYY-MM-DD)", node);
    dates[i] = String(node[key], path);
    if (!ParseLocalDate(dates[i]))
      Fail(path, "expected a date YYYY-MM-DD, got '" + dates[i] + "'", node[key]);
    ++i;
  }
  if (*ParseLocalDate(dates[1]) < *ParseLocalDate(dates[0])) {
    Fail("range", "to (" + dates[1] + ") is before from (" + dates[0] + ")", node);
  }
  return dates[0] + ".." + dates[1];
}

Job JobOf(const YAML::Node& root) {
  CheckKeys(root, "",
            {"compute", "export", "name", "queue", "range", "schedule", "topology", "tz", "window",
             "workload"});
  Job job;
  for (const char* required : {"name", "workload", "compute"}) {
    if (!root[required]) Fail(required, "missing (name, workload and compute are required)", root);
  }
  job.name = String(root["name"], "name");
  const bool name_ok =
      !job.name.empty() && job.name.size() <= 64 &&
      job.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789._-") == std::string::npos &&
      std::isalnum(static_cast<unsigned char>(job.name[0]));
  if (!name_ok) {
    Fail("name",
         "expected lowercase letters, digits, '.', '_' or '-' (at most 64, a letter or digit "
         "first), got '" +
             job.name + "'",
         root["name"]);
  }
  if (root["topology"]) job.topology = TopologyOf(root["topology"]);
  job.workload = WorkloadOf(root["workload"]);
  job.compute = ComputeOf(root["compute"]);
  if (root["export"]) job.export_step = ExportOf(root["export"]);
  if (root["window"]) {
    job.window = String(root["window"], "window");
    if (auto w = WindowSpec::Parse(job.window); !w) Fail("window", w.reason(), root["window"]);
  }
  if (root["schedule"]) {
    job.schedule = String(root["schedule"], "schedule");
    if (auto cron = CronSchedule::Parse(job.schedule); !cron)
      Fail("schedule", cron.reason(), root["schedule"]);
  }
  if (root["range"]) job.range = RangeOf(root["range"]);
  if (root["tz"]) {
    job.tz = String(root["tz"], "tz");
    if (auto tz = TimeZone::Load(job.tz); !tz) Fail("tz", tz.reason(), root["tz"]);
  }
  if (root["queue"]) {
    job.queue = String(root["queue"], "queue");
    if (job.queue.empty() || job.queue.size() > 255)
      Fail("queue", "expected a queue name of 1 to 255 bytes", root["queue"]);
  }
  const bool builtin_workload = job.workload.source == Source::kBuiltin;
  const bool builtin_topology = job.topology.source == Source::kBuiltin;
  if (builtin_workload && !builtin_topology) {
    Fail("workload.builtin",
         "the reference workload is the feeders of the reference topology: give topology.builtin: "
         "reference too",
         root["workload"]);
  }
  return job;
}

}  // namespace

std::string QueueOf(const Job& job) { return job.queue.empty() ? "dcp." + job.name : job.queue; }

Result<Job> ParseJob(std::string_view text, std::string_view origin) {
  const std::string prefix = std::string(origin) + ": ";
  try {
    const YAML::Node root = YAML::Load(std::string(text));
    if (!root || root.IsNull())
      return Error{prefix + "empty (name, workload and compute are required)"};
    Job job = JobOf(root);
    job.text = std::string(text);
    job.sha256 = Sha256Hex(text);
    return job;
  } catch (const Invalid& invalid) {
    return Error{prefix + invalid.message};
  } catch (const YAML::Exception& e) {
    return Error{prefix + "not YAML: " + e.msg + " (line " + std::to_string(e.mark.line + 1) + ")"};
  }
}

Result<Job> LoadJobFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{"job file " + path + ": cannot be read"};
  std::ostringstream text;
  text << in.rdbuf();
  auto job = ParseJob(text.str(), "job file " + path);
  if (!job) return job;
  std::error_code ec;
  const auto absolute = std::filesystem::absolute(path, ec);
  job.value().directory = (ec ? std::filesystem::path(path) : absolute).parent_path().string();
  return job;
}

const Job& ReferenceJob() {
  static const Job job = ParseJob(EmbeddedReferenceJob(), "the reference job").value();
  return job;
}

std::string Sha256Hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 15]);
  }
  return hex;
}

}  // namespace dcp::job
