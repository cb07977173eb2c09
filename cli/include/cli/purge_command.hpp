#pragma once
// dcp purge: the runs older than c.purge.older_than removed (retention/),
// or with --dry-run listed with the rows they hold. One line per run on
// `out` (or one JSON object with --json), the totals on `note`.
// Exit codes: 0 done, 3 another process is purging, 8 the claim was lost
// half-way (what was deleted stays deleted; the next purge goes on).
#include <ostream>

#include "cli/cli_config.hpp"
#include "ports/retention_store.hpp"

namespace dcp::cli {

int PurgeCommand(const CliConfig& c, RetentionStore& store, std::ostream& out, std::ostream& note);

}  // namespace dcp::cli
