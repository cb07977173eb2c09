#pragma once
// The flags of completion reporting and the CompletionService on MySQL and
// RabbitMQ, shared by dcp-worker and dcp-monitor so that their mains stay
// thin.
#include <memory>
#include <string>

#include "amqp/connection.hpp"
#include "completion/completion_service.hpp"
#include "completion/export_step.hpp"
#include "mysql/mysql_url.hpp"
#include "views/export_csv.hpp"

namespace CLI {
class App;
}

namespace dcp::completion {

struct CompletionConfig {
  std::string webhook_url;      // http:// or https://; empty: none
  std::string webhook_ca_file;  // PEM CAs for an https:// webhook; empty: the system store
  std::string export_dir;       // empty: no export
  double poll_seconds = 2;      // how often to look for completed runs
};

// --webhook-url (DCP_WEBHOOK_URL), --webhook-ca-file (DCP_WEBHOOK_CA_FILE),
// --export-dir (DCP_EXPORT_DIR), --completion-poll (DCP_COMPLETION_POLL).
void AddCompletionOptions(CLI::App& app, CompletionConfig& config);

// A one-line reason, naming the flag, for a bad webhook URL, a CA file that
// is unreadable or given for an http:// URL, or a missing export directory.
// The binaries' config loaders call it, so that a bad setting stops them
// before they connect anywhere.
Result<bool> CheckCompletionConfig(const CompletionConfig& config);

// Checks the config as CheckCompletionConfig (ConfigError with its reason)
// and makes the service; not started.
std::unique_ptr<CompletionService> MakeCompletionService(const CompletionConfig& config,
                                                         const mysql::MysqlNodes& mysql_url,
                                                         const amqp::ConnectionOptions& broker,
                                                         views::CsvHeaders csv_headers);

// The export service of the `jobs` that have an export command, on MySQL;
// null if none has. Exports run in `work_dir`, with the config's export
// directory as DCP_EXPORT_DIR; polled as often as completion reports.
std::unique_ptr<ExportService> MakeExportService(const CompletionConfig& config,
                                                 const mysql::MysqlNodes& mysql_url,
                                                 std::vector<job::Job> jobs,
                                                 const std::string& work_dir);

}  // namespace dcp::completion
