#include "compute/topology_files.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

namespace dcp::compute {
namespace {

// Topology files kept: the runs a worker may still get tasks of.
constexpr std::size_t kKeptTopologies = 4;

}  // namespace

Result<std::string> TopologyFiles::PathFor(const RunId& run, const std::string& topology) {
  runtime::MutexLock lock(mutex_);
  for (const auto& [id, path] : files_) {
    if (id == run) return path;
  }
  const std::filesystem::path dir = std::filesystem::path(work_dir_) / "runs" / run.ToString();
  const std::filesystem::path path = dir / "topology";
  const std::filesystem::path partial = dir / "topology.partial";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  {
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    out.write(topology.data(), static_cast<std::streamsize>(topology.size()));
    out.close();
    if (!out) return Error{"cannot write the topology file " + partial.string()};
  }
  chmod(partial.c_str(), 0444);  // read-only: one file shared by the run's tasks
  std::filesystem::rename(partial, path, ec);
  if (ec) return Error{"cannot write the topology file " + path.string() + ": " + ec.message()};
  files_.insert(files_.begin(), {run, path.string()});
  if (files_.size() > kKeptTopologies) {
    std::filesystem::remove_all(std::filesystem::path(files_.back().second).parent_path(), ec);
    files_.pop_back();
  }
  return path.string();
}

}  // namespace dcp::compute
