#include "completion/completion_wiring.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <optional>

#include "amqp/event_publisher.hpp"
#include "mysql/mysql_run_store.hpp"
#include "mysql/thread_connection.hpp"
#include "ports/errors.hpp"
#include "webhook/curl_webhook.hpp"
#include "webhook/webhook_url.hpp"

namespace dcp::completion {
namespace {

struct Webhook {
  webhook::WebhookUrl url;
  webhook::WebhookOptions options;
};

// The webhook's URL and options, checked; nullopt when there is none.
Result<std::optional<Webhook>> CheckWebhook(const CompletionConfig& config) {
  if (config.webhook_url.empty()) return std::optional<Webhook>();
  auto url = webhook::ParseWebhookUrl(config.webhook_url);
  if (!url) return Error{"--webhook-url: " + url.reason()};
  webhook::WebhookOptions options;
  options.ca_file = config.webhook_ca_file;
  if (!options.ca_file.empty()) {
    if (!url->https) return Error{"--webhook-ca-file is set but --webhook-url is not https://"};
    std::error_code error;
    if (!std::filesystem::is_regular_file(options.ca_file, error) ||
        ::access(options.ca_file.c_str(), R_OK) != 0) {
      return Error{"--webhook-ca-file " + options.ca_file + ": not a readable file"};
    }
  }
  return std::optional<Webhook>(Webhook{std::move(url).value(), std::move(options)});
}

}  // namespace

void AddCompletionOptions(CLI::App& app, CompletionConfig& config) {
  app.add_option("--webhook-url", config.webhook_url,
                 "http:// or https:// URL that receives each run.completed event as a JSON POST")
      ->envname("DCP_WEBHOOK_URL");
  app.add_option("--webhook-ca-file", config.webhook_ca_file,
                 "PEM file of the CA(s) trusted for an https:// webhook instead of the system's")
      ->envname("DCP_WEBHOOK_CA_FILE");
  app.add_option("--export-dir", config.export_dir,
                 "directory where each completed run's CSV is written as <run_id>.csv")
      ->envname("DCP_EXPORT_DIR");
  app.add_option("--completion-poll", config.poll_seconds,
                 "seconds between looks for completed runs to report")
      ->envname("DCP_COMPLETION_POLL")
      ->check(CLI::Range(0.05, 3600.0))
      ->capture_default_str();
}

Result<bool> CheckCompletionConfig(const CompletionConfig& config) {
  if (auto hook = CheckWebhook(config); !hook) return Error{hook.reason()};
  if (!config.export_dir.empty() && !std::filesystem::is_directory(config.export_dir)) {
    return Error{"--export-dir " + config.export_dir + ": not a directory"};
  }
  return true;
}

std::unique_ptr<CompletionService> MakeCompletionService(const CompletionConfig& config,
                                                         const mysql::MysqlNodes& mysql_url,
                                                         const amqp::ConnectionOptions& broker,
                                                         views::CsvHeaders csv_headers) {
  if (auto checked = CheckCompletionConfig(config); !checked) throw ConfigError(checked.reason());
  const std::optional<Webhook> hook = *CheckWebhook(config);
  NotifierSettings settings;
  settings.export_dir = config.export_dir;
  settings.csv_headers = std::move(csv_headers);
  amqp::EventPublisherOptions events;
  events.connection = broker;
  events.connection.name = broker.name + " events";
  return std::make_unique<CompletionService>(
      [mysql_url, events, hook] {
        NotifierParts parts;
        auto store = mysql::ConnectOnThisThread<mysql::MysqlRunStore, RunStore>(mysql_url);
        parts.keep = store;
        parts.claims = store;
        parts.results = store;
        parts.events = std::make_shared<amqp::AmqpEventPublisher>(events);
        if (hook) parts.webhook = std::make_shared<webhook::CurlWebhook>(hook->url, hook->options);
        return parts;
      },
      settings, std::chrono::milliseconds(static_cast<long long>(config.poll_seconds * 1000)));
}

std::unique_ptr<ExportService> MakeExportService(const CompletionConfig& config,
                                                 const mysql::MysqlNodes& mysql_url,
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
