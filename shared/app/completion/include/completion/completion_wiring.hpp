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
  std::string webhook_url;  // http://...; empty: none
  std::string export_dir;   // empty: no export
  double poll_seconds = 2;  // how often to look for completed runs
};

// --webhook-url (DCP_WEBHOOK_URL), --export-dir (DCP_EXPORT_DIR),
// --completion-poll (DCP_COMPLETION_POLL).
void AddCompletionOptions(CLI::App& app, CompletionConfig& config);

// Validates the config (ConfigError for a bad webhook URL or a missing
// export directory) and makes the service; not started.
std::unique_ptr<CompletionService> MakeCompletionService(const CompletionConfig& config,
                                                         const mysql::MysqlUrl& mysql_url,
                                                         const amqp::ConnectionOptions& broker,
                                                         views::CsvHeaders csv_headers);

// The export service of the `jobs` that have an export command, on MySQL;
// null if none has. Exports run in `work_dir`, with the config's export
// directory as DCP_EXPORT_DIR; polled as often as completion reports.
std::unique_ptr<ExportService> MakeExportService(const CompletionConfig& config,
                                                 const mysql::MysqlUrl& mysql_url,
                                                 std::vector<job::Job> jobs,
                                                 const std::string& work_dir);

}  // namespace dcp::completion
