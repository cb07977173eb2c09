#pragma once
// `dcp status`: a run's counts per status, progress bar, rate, ETA, stale
// tasks and times. `now` is the caller's clock (rate and ETA of a running
// run are measured from its creation).
#include <string>

#include "ports/run_read_model.hpp"

namespace dcp::views {

std::string StatusText(const RunSummary& run, SysSeconds now);
// One line of JSON (see view_json.hpp, RunJson).
std::string StatusJson(const RunSummary& run, SysSeconds now);

}  // namespace dcp::views
