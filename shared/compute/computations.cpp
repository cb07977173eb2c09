#include "compute/computations.hpp"

#include "compute/persistent_computation.hpp"
#include "compute/synthetic_computation.hpp"
#include "grid/reference_computation.hpp"

namespace dcp::compute {

Result<std::unique_ptr<Computation>> MakeComputation(std::string_view name,
                                                     const ExecSettings& exec) {
  if (name == "reference") {
    return std::unique_ptr<Computation>(std::make_unique<grid::ReferenceComputation>());
  }
  if (name == "exec") {
    if (exec.command.empty() && exec.argv.empty()) return Error{"exec needs a command"};
    if (exec.persistent.enabled) {
      return std::unique_ptr<Computation>(std::make_unique<PersistentComputation>(exec));
    }
    return std::unique_ptr<Computation>(std::make_unique<ExecComputation>(exec));
  }
  auto synthetic = SyntheticComputation::Parse(name);
  if (!synthetic) return Error{synthetic.reason()};
  return std::unique_ptr<Computation>(std::move(synthetic).value());
}

std::string ApplyComputeStep(const job::Job& job, ExecSettings& exec) {
  const job::ComputeStep& step = job.compute;
  if (!step.builtin.empty()) return step.builtin;
  exec.argv = step.command.argv;
  exec.directory = job.directory;
  if (step.timeout) exec.timeout = std::chrono::seconds(*step.timeout);
  if (step.memory) exec.memory_limit = static_cast<std::size_t>(*step.memory) << 20;
  exec.pass_env.insert(exec.pass_env.end(), step.env.begin(), step.env.end());
  PersistentSettings& persistent = exec.persistent;
  persistent.enabled = step.mode == "persistent";
  if (step.startup_timeout)
    persistent.startup_timeout = std::chrono::seconds(*step.startup_timeout);
  if (step.startup_tries) persistent.startup_tries = *step.startup_tries;
  persistent.recycle_tasks = step.recycle.tasks;
  persistent.recycle_memory = static_cast<std::size_t>(step.recycle.memory) << 20;
  persistent.recycle_per_run = step.recycle.per_run;
  return "exec";
}

}  // namespace dcp::compute
