#include "completion/completion_wiring.hpp"

#include <CLI/CLI.hpp>
#include <filesystem>

#include "amqp/event_publisher.hpp"
#include "http/http_webhook.hpp"
#include "mysql/mysql_run_store.hpp"
#include "mysql/thread_connection.hpp"
#include "ports/errors.hpp"

namespace dcp::completion {

void AddCompletionOptions(CLI::App& app, CompletionConfig& config) {
  app.add_option("--webhook-url", config.webhook_url,
                 "http:// URL that receives each run.completed event as a JSON POST")
      ->envname("DCP_WEBHOOK_URL");
  app.add_option("--export-dir", config.export_dir,
                 "directory where each completed run's CSV is written as <run_id>.csv")
      ->envname("DCP_EXPORT_DIR");
  app.add_option("--completion-poll", config.poll_seconds,
                 "seconds between looks for completed runs to report")
      ->envname("DCP_COMPLETION_POLL")
      ->check(CLI::Range(0.05, 3600.0))
      ->capture_default_str();
}

std::unique_ptr<CompletionService> MakeCompletionService(const CompletionConfig& config,
                                                         const mysql::MysqlUrl& mysql_url,
                                                         const amqp::ConnectionOptions& broker,
                                                         views::CsvHeaders csv_headers) {
  std::optional<http::HttpUrl> webhook;
  if (!config.webhook_url.empty()) {
    auto url = http::ParseHttpUrl(config.webhook_url);
    if (!url) throw ConfigError("--webhook-url: " + url.reason());
    webhook = *url;
  }
  if (!config.export_dir.empty() && !std::filesystem::is_directory(config.export_dir)) {
    throw ConfigError("--export-dir " + config.export_dir + ": not a directory");
  }
  NotifierSettings settings;
  settings.export_dir = config.export_dir;
  settings.csv_headers = std::move(csv_headers);
  amqp::EventPublisherOptions events;
  events.connection = broker;
  events.connection.name = broker.name + " events";
  return std::make_unique<CompletionService>(
      [mysql_url, events, webhook] {
        NotifierParts parts;
        auto store = mysql::ConnectOnThisThread<mysql::MysqlRunStore, RunStore>(mysql_url);
        parts.keep = store;
        parts.claims = store;
        parts.results = store;
        parts.events = std::make_shared<amqp::AmqpEventPublisher>(events);
        if (webhook) parts.webhook = std::make_shared<http::HttpWebhook>(*webhook);
        return parts;
      },
      settings, std::chrono::milliseconds(static_cast<long long>(config.poll_seconds * 1000)));
}

std::unique_ptr<ExportService> MakeExportService(const CompletionConfig& config,
                                                 const mysql::MysqlUrl& mysql_url,
                                                 std::vector<job::Job> jobs,
                                                 const std::string& work_dir) {
  if (ExportingJobs(jobs).empty()) return nullptr;
  return std::make_unique<ExportService>(
      [mysql_url] {
        auto store = mysql::ConnectOnThisThread<mysql::MysqlRunStore, RunStore>(mysql_url);
        return ExportService::Parts{store, store, store};
      },
      std::move(jobs), ExportSettings{config.export_dir, work_dir},
      std::chrono::milliseconds(static_cast<long long>(config.poll_seconds * 1000)));
}

}  // namespace dcp::completion
