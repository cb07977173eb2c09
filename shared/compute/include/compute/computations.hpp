#pragma once
// A computation by its name, as --computation and a job's compute step give
// it: reference (the feeder report of the reference workload), exec (a
// team's program, run per task as `exec` says), or the synthetic ones of
// the benchmarks (noop, sleep:MS, spin:MS).
#include <memory>
#include <string_view>

#include "compute/exec_computation.hpp"
#include "domain/result.hpp"
#include "job/job.hpp"
#include "ports/computation.hpp"

namespace dcp::compute {

// Error: an unknown name, or exec without a command.
Result<std::unique_ptr<Computation>> MakeComputation(std::string_view name,
                                                     const ExecSettings& exec);

// The computation of a job's compute step: its name (the builtin's, or
// exec) and, for a command, `exec` with the step's argv, the job file's
// directory, and the timeout, memory limit and variables the step gives.
std::string ApplyComputeStep(const job::Job& job, ExecSettings& exec);

}  // namespace dcp::compute
