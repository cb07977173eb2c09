#include "completion/completion_wiring.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "ports/errors.hpp"

namespace dcp::completion {
namespace {

// MakeCompletionService checks the config and connects to nothing.
std::string Refusal(const CompletionConfig& config) {
  try {
    MakeCompletionService(config, mysql::MysqlNodes{}, amqp::ConnectionOptions{}, {});
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

// A file of this process's own (tests run in parallel, other checkouts too).
std::filesystem::path TemporaryFile() {
  auto path = std::filesystem::temp_directory_path() /
              ("dcp-wiring-test-" + std::to_string(::getpid()) + ".pem");
  std::ofstream(path) << "not checked here: libcurl reads it\n";
  return path;
}

CompletionConfig Webhook(std::string url, std::string ca_file = "") {
  CompletionConfig config;
  config.webhook_url = std::move(url);
  config.webhook_ca_file = std::move(ca_file);
  return config;
}

TEST(CompletionWiring, RefusesABadWebhookAtStartWithOneLine) {
  const auto ca = TemporaryFile();
  struct Case {
    CompletionConfig config;
    const char* error;
  };
  const Case cases[] = {
      {Webhook("ftp://h/"), "--webhook-url: the URL must start with http:// or https://"},
      {Webhook("https://user:s3cret@h/"),
       "--webhook-url: user info (user:password@) is not allowed"},
      {Webhook("http://h/hook", ca), "--webhook-ca-file is set but --webhook-url is not https://"},
      {Webhook("https://h/hook", "/nonexistent/ca.pem"),
       "--webhook-ca-file /nonexistent/ca.pem: not a readable file"},
      {Webhook("https://h/hook", "/tmp"), "--webhook-ca-file /tmp: not a readable file"},
  };
  for (const auto& c : cases) {
    const std::string error = Refusal(c.config);
    EXPECT_EQ(error.rfind(c.error, 0), 0U) << c.config.webhook_url << ": " << error;
    EXPECT_EQ(error.find("s3cret"), std::string::npos) << error;
  }
  std::filesystem::remove(ca);
}

TEST(CompletionWiring, AcceptsHttpAndHttpsWithOrWithoutACaFile) {
  const auto ca = TemporaryFile();
  for (const auto& config :
       {CompletionConfig{}, Webhook("http://127.0.0.1:8080/hook"),
        Webhook("https://[::1]:8443/hook"), Webhook("https://hooks.example.org/x?token=1", ca)}) {
    EXPECT_EQ(Refusal(config), "") << config.webhook_url;
  }
  // No webhook: a CA file alone means nothing and is not an error.
  CompletionConfig ca_only;
  ca_only.webhook_ca_file = "/nonexistent/ca.pem";
  EXPECT_EQ(Refusal(ca_only), "");
  std::filesystem::remove(ca);
}

}  // namespace
}  // namespace dcp::completion
