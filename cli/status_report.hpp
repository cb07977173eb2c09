#pragma once
// `dcp status`: a run's counts per status, progress, and times.
#include <string>

#include "ports/run_store.hpp"

namespace dcp::cli {

std::string StatusText(const RunSummary& run);
std::string StatusJson(const RunSummary& run);

}  // namespace dcp::cli
