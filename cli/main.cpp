// dcp: the operator CLI. Wiring only.
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>

#include "amqp/amqp_url.hpp"
#include "amqp/confirm_publisher.hpp"
#include "cli/export_csv.hpp"
#include "cli/status_report.hpp"
#include "infra/common_options.hpp"
#include "leader/run_publisher.hpp"
#include "mysql/driver.hpp"
#include "mysql/mysql_run_store.hpp"
#include "mysql/mysql_url.hpp"
#include "mysql/session.hpp"
#include "ports/errors.hpp"

namespace {

using namespace dcp;

int Main(int argc, char** argv) {
  CommonSettings common;
  std::string run_text, output;
  bool json = false;
  CLI::App app{"dcp: operate dcp runs"};
  app.require_subcommand(1);
  app.fallthrough();  // shared options may also follow the subcommand
  AddCommonOptions(app, common,
                   static_cast<int>(CommonOption::kMysql) | static_cast<int>(CommonOption::kAmqp) |
                       static_cast<int>(CommonOption::kQueue));
  auto* status = app.add_subcommand("status", "a run's progress (default: the latest run)");
  status->add_option("RUN_ID", run_text, "the run");
  status->add_flag("--json", json, "one JSON object, for scripts");
  int stale_after = 30;
  status
      ->add_option("--stale-after", stale_after,
                   "seconds without a heartbeat before a worker's STARTED tasks count as stale")
      ->envname("DCP_STALE_AFTER")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  auto* exp = app.add_subcommand("export", "a run's results as one CSV");
  exp->add_option("RUN_ID", run_text, "the run")->required();
  exp->add_option("-o,--output", output, "file to write (default: stdout)");
  auto* retry =
      app.add_subcommand("retry", "put a run's FAILED tasks back to QUEUED and publish them");
  retry->add_option("RUN_ID", run_text, "the run")->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  if (auto logging = InitLogging(common.log, "dcp"); !logging) throw ConfigError(logging.reason());
  auto url = mysql::MysqlUrl::Parse(common.mysql_url);
  if (!url) throw ConfigError("--mysql-url: " + url.reason());
  std::optional<RunId> run;
  if (!run_text.empty()) {
    run = RunId::Parse(run_text);
    if (!run) throw ConfigError("RUN_ID '" + run_text + "': not a UUID");
  }
  mysql::InitDriver();
  mysql::Session session(*url);
  mysql::MysqlRunStore store(session, std::chrono::seconds(stale_after));

  if (status->parsed()) {
    const auto summary = run ? store.GetRun(*run) : store.LatestRun();
    if (!summary) {
      std::cerr << "dcp: " << (run ? "no run " + run->ToString() : std::string("no runs yet"))
                << "\n";
      return kExitFailure;
    }
    std::cout << (json ? cli::StatusJson(*summary) + "\n" : cli::StatusText(*summary));
    return kExitOk;
  }
  if (!store.GetRun(*run)) {
    std::cerr << "dcp: no run " << run->ToString() << "\n";
    return kExitFailure;
  }
  if (retry->parsed()) {
    const auto amqp_url = amqp::AmqpUrl::Parse(common.amqp_url);
    if (!amqp_url) throw ConfigError("--amqp-url: " + amqp_url.reason());
    amqp::PublisherOptions publishing;
    publishing.connection.url = *amqp_url;
    publishing.connection.name = "dcp retry";
    publishing.queue.name = common.queue;
    publishing.queue.type =
        common.queue_type == "classic" ? amqp::QueueType::kClassic : amqp::QueueType::kQuorum;
    publishing.queue.delivery_limit = common.delivery_limit;
    amqp::ConfirmPublisher publisher(publishing);  // connect before touching the run
    const auto requeued = store.RequeueFailed(*run);
    const auto published = leader::RunPublisher(store, publisher, {}).Resume(*run);
    std::cout << requeued.size() << " FAILED tasks requeued, " << published << " published\n";
    return kExitOk;
  }
  std::ofstream file;
  if (!output.empty()) {
    file.open(output, std::ios::binary);
    if (!file) throw ConfigError("--output " + output + ": cannot write");
  }
  std::ostream& out = output.empty() ? std::cout : file;
  const auto rows = cli::ExportCsv(store, *run, out);
  out.flush();
  if (!out) throw std::runtime_error("writing the CSV failed");
  std::cerr << "exported " << rows << " task results\n";
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  return dcp::GuardedMain("dcp", [&] { return Main(argc, argv); });
}
