#include "planning/job_workload.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <unordered_set>

#include "domain/task_message.hpp"
#include "domain/utf8.hpp"
#include "process/command_runner.hpp"

extern char** environ;

namespace dcp::planning {
namespace {

std::string Resolve(const job::Job& job, const std::string& file) {
  const std::filesystem::path path(file);
  return path.is_absolute() || job.directory.empty() ? file : (job.directory / path).string();
}

Result<std::string> ReadFile(const std::string& path, std::size_t max_bytes,
                             const std::string& origin) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{origin + ": " + path + ": cannot be read"};
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > max_bytes) {
    return Error{origin + ": " + path + ": more than " + std::to_string(max_bytes) + " bytes"};
  }
  return text.str();
}

// A step's command, its stdout.
Result<std::string> RunStep(const job::Job& job, const job::Command& command,
                            std::vector<std::string> own_env, std::size_t max_bytes,
                            const WorkloadLimits& limits, const std::string& origin) {
  own_env.push_back("DCP_JOB=" + job.name);
  process::CommandSpec spec{.argv = command.argv,
                            .environment = process::BoxEnvironment(std::move(own_env), {}, environ),
                            .directory = job.directory,
                            .input = {},
                            .input_file = {},
                            .timeout = limits.step_timeout,
                            .max_stdout = max_bytes,
                            .memory_limit = 0};
  process::CommandOutcome outcome = process::RunCommand(spec);
  if (!outcome.ok()) return Error{origin + ": " + process::Describe(outcome, spec)};
  return std::move(outcome.out);
}

// $TMPDIR/dcp-leader.<pid>.<n>: one per step run.
std::string ScratchPath() {
  static std::atomic<unsigned> runs{0};
  const char* tmp = std::getenv("TMPDIR");
  return std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/dcp-leader." +
         std::to_string(getpid()) + "." + std::to_string(runs++);
}

Result<std::string> Topology(const job::Job& job, const WorkloadLimits& limits) {
  const job::TopologyStep& step = job.topology;
  Result<std::string> bytes = std::string();
  if (step.source == job::Source::kFile) {
    bytes = ReadFile(Resolve(job, step.file), limits.max_topology_bytes, "topology.file");
  } else if (step.source == job::Source::kCommand) {
    bytes = RunStep(job, step.command, {}, limits.max_topology_bytes, limits, "topology.command");
    if (bytes && bytes->empty())
      return Error{"topology.command: printed nothing (a topology is its stdout)"};
  }
  return bytes;
}

// Why `id` cannot be a selection, if it cannot.
std::optional<std::string> BadId(std::string_view id) {
  if (id.empty()) return "empty id";
  if (id.size() > kMaxSelectionBytes) {
    return "id of " + std::to_string(id.size()) + " bytes, more than " +
           std::to_string(kMaxSelectionBytes);
  }
  if (FirstInvalidUtf8(id)) return "id is not UTF-8";
  if (id.find_first_of(std::string_view("\0\r\n\t", 4)) != std::string_view::npos) {
    return "id holds a control character";
  }
  return std::nullopt;
}

// Why `id` cannot be the next of `accepted` selections (`seen` holds them,
// and takes `id` when it can).
std::optional<std::string> Refusal(std::string_view id, std::unordered_set<std::string>& seen,
                                   std::size_t accepted, std::size_t max_selections) {
  if (auto bad = BadId(id)) return bad;
  if (!seen.emplace(id).second) return "duplicate id '" + std::string(id) + "'";
  if (accepted == max_selections) {
    return "more than the " + std::to_string(max_selections) +
           " tasks a run may have (DCP_MAX_TASKS_PER_RUN)";
  }
  return std::nullopt;
}

}  // namespace

Result<bool> CheckSelections(const std::vector<std::string>& selections, std::string_view origin,
                             std::size_t max_selections) {
  if (selections.empty()) return Error{std::string(origin) + ": no selections"};
  std::unordered_set<std::string> seen;
  for (std::size_t i = 0; i < selections.size(); ++i) {
    if (auto bad = Refusal(selections[i], seen, i, max_selections)) {
      return Error{std::string(origin) + ": item " + std::to_string(i + 1) + ": " + *bad};
    }
  }
  return true;
}

// A JSON Lines object: {"id": "...", "params": {...}}. Why not, if not.
std::optional<std::string> ReadObjectLine(std::string_view text, std::string& id,
                                          std::string& params) {
  const auto object = nlohmann::json::parse(text, nullptr, false);
  if (object.is_discarded() || !object.is_object()) return "not a JSON object";
  for (const auto& [key, value] : object.items()) {
    if (key != "id" && key != "params") {
      return "unknown key '" + key + "' (an object has \"id\" and \"params\")";
    }
  }
  const auto at = object.find("id");
  if (at == object.end() || !at->is_string()) return "no \"id\" string";
  id = at->get<std::string>();
  const auto p = object.find("params");
  if (p == object.end()) return std::nullopt;
  if (!p->is_object()) return "\"params\" is not a JSON object";
  params = p->dump();
  if (params.size() > kMaxParamsBytes) {
    return "params of " + std::to_string(params.size()) + " bytes, more than " +
           std::to_string(kMaxParamsBytes);
  }
  return std::nullopt;
}

Result<Workload> ParseSelectionLines(std::string_view text, std::string_view origin,
                                     std::size_t max_selections) {
  Workload workload;
  std::vector<std::string>& selections = workload.selections;
  std::vector<std::string>& params = workload.params;
  std::unordered_set<std::string> seen;
  std::size_t line = 0;
  const auto error = [&](const std::string& why) {
    return Error{std::string(origin) + ": line " + std::to_string(line) + ": " + why};
  };
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t end = std::min(text.find('\n', at), text.size());
    std::string_view id = text.substr(at, end - at);
    ++line;
    at = end + 1;
    if (id.ends_with('\r')) id.remove_suffix(1);
    std::string object_id, object_params;
    if (id.starts_with('{')) {
      if (auto bad = ReadObjectLine(id, object_id, object_params)) return error(*bad);
      id = object_id;
    }
    if (auto bad = Refusal(id, seen, selections.size(), max_selections)) return error(*bad);
    selections.emplace_back(id);
    // Params are kept per selection once one has any.
    if (!object_params.empty() && params.empty()) params.resize(selections.size() - 1);
    if (!params.empty()) params.push_back(std::move(object_params));
  }
  if (selections.empty()) return Error{std::string(origin) + ": no selections"};
  return workload;
}

Result<Workload> BuildWorkload(const job::Job& job, const WorkloadLimits& limits,
                               const std::function<Result<Workload>()>& reference) {
  if (job.workload.source == job::Source::kBuiltin) return reference();
  Workload workload;
  if (job.topology.source == job::Source::kBuiltin) {
    auto grid = reference();
    if (!grid) return Error{grid.reason()};
    workload.topology = std::move(grid->topology);
  } else {
    auto topology = Topology(job, limits);
    if (!topology) return Error{topology.reason()};
    workload.topology = std::move(topology).value();
  }
  const job::WorkloadStep& step = job.workload;
  Result<Workload> selections = Workload{};
  if (step.source == job::Source::kItems) {
    if (auto checked = CheckSelections(step.items, "workload.items", limits.max_tasks); !checked) {
      return Error{checked.reason()};
    }
    selections->selections = step.items;
  } else {
    Result<std::string> text = std::string();
    if (step.source == job::Source::kFile) {
      text = ReadFile(Resolve(job, step.file), std::size_t{256} << 20, "workload.file");
    } else {
      // The topology the workload command reads, removed with it.
      process::ScratchDirectory scratch(ScratchPath());
      if (scratch.path().empty())
        return Error{"workload.command: no scratch directory for the topology"};
      const std::string topology_file = scratch.path() + "/topology";
      std::ofstream(topology_file, std::ios::binary) << workload.topology;
      text = RunStep(job, step.command, {"DCP_TOPOLOGY_FILE=" + topology_file},
                     std::size_t{256} << 20, limits, "workload.command");
    }
    if (!text) return Error{text.reason()};
    selections = ParseSelectionLines(
        *text, step.source == job::Source::kFile ? "workload.file" : "workload.command",
        limits.max_tasks);
  }
  if (!selections) return Error{selections.reason()};
  workload.selections = std::move(selections->selections);
  workload.params = std::move(selections->params);
  return workload;
}

}  // namespace dcp::planning
