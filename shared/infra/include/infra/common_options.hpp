#pragma once
// Settings every binary shares, and their flags. Each setting is a flag and
// an environment variable (DCP_...), the flag winning; the defaults work
// against scripts/stack. Parsed once in main; nothing below main reads the
// environment.
#include <functional>
#include <optional>
#include <string>

#include "domain/result.hpp"
#include "infra/logging.hpp"
#include "ports/errors.hpp"

namespace CLI {
class App;
}

namespace dcp {

struct CommonSettings {
  // amqp[s]://user:pass@host:port/vhost
  std::string amqp_url = "amqp://dcp:dcp-dev@127.0.0.1:17700/dcp";
  // amqps://: the CAs to verify the broker with (PEM); empty: the system's.
  std::string amqp_ca_file;
  // mysql://user:pass@host:port/database
  std::string mysql_url = "mysql://dcp:dcp-dev@127.0.0.1:17306/dcp";
  // off, or verify: TLS required, the server's certificate verified against
  // mysql_ca_file (PEM; empty: the system's CAs) and the URL's host.
  std::string mysql_tls = "off";
  std::string mysql_ca_file;
  std::string queue = "dcp.tasks";
  // quorum: replicated, counts deliveries (poison messages bounded by the
  // broker too); classic: for brokers or queues that predate dcp.
  std::string queue_type = "quorum";
  // quorum: deliveries after which the broker dead-letters a message by
  // itself. The last guard against poison messages; keep it above the
  // workers' --max-attempts so that the worker records the failure first.
  int delivery_limit = 10;
  std::string time_zone = "UTC";  // windows and cron are cut in this zone
  LogSettings log;
};

enum class CommonOption { kAmqp = 1, kMysql = 2, kQueue = 4, kTimeZone = 8, kAll = 15 };

// Adds the flags of `which` (a bit set of CommonOption) plus logging.
void AddCommonOptions(CLI::App& app, CommonSettings& settings, int which = 15);

// Parses the command line into `app`'s options. nullopt: go on; else the
// run ends here with that exit code: --help was printed (kExitOk) or CLI11
// refused the command line and said why (kExitUsage).
std::optional<int> ParseCommandLine(CLI::App& app, int argc, const char* const* argv);

// Exit codes shared by the binaries.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;      // a server failed, or the run had FAILED tasks
inline constexpr int kExitUsage = 2;        // bad flag, value or URL
inline constexpr int kExitLocked = 3;       // another run holds the run lock / is active
inline constexpr int kExitUnavailable = 4;  // a server could not be reached
inline constexpr int kExitDrainDeadline =
    5;  // worker: stopped at its drain deadline, work handed back
inline constexpr int kExitJobStep =
    6;  // a job's topology or workload step failed: nothing published
inline constexpr int kExitProgramNotReady =
    7;  // worker: its persistent program never got ready in its tries, work handed back
inline constexpr int kExitLockLost =
    8;  // the run lock (or the migrate lock) was lost while held: stopped half-way

}  // namespace dcp

namespace dcp {

// The value of `r`, or a ConfigError naming `what` and the reason: for
// settings checked in main (exit code kExitUsage).
template <class T>
T RequireOk(Result<T> r, const std::string& what) {
  if (!r) throw ConfigError(what + ": " + r.reason());
  return std::move(r).value();
}

// Runs a binary's body and turns what escapes it into one line on stderr,
// prefixed with `program`, and the exit code: ConfigError -> kExitUsage;
// UnavailableError or a transient DbError -> kExitUnavailable;
// LockLostError -> kExitLockLost; anything else -> kExitFailure. No stack dump.
int GuardedMain(const char* program, const std::function<int()>& body);

}  // namespace dcp
