#include "completion/completion_notifier.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "fake_stores.hpp"
#include "ports/errors.hpp"

namespace dcp::completion {
namespace {

struct RecordingEvents final : EventPublisher {
  void Publish(std::string_view key, std::string_view json) override {
    if (failures > 0) {
      --failures;
      throw AmqpError("broker gone");
    }
    published.emplace_back(std::string(key), std::string(json));
  }
  int failures = 0;
  std::vector<std::pair<std::string, std::string>> published;
};

struct RecordingWebhook final : WebhookPoster {
  WebhookResponse Post(std::string_view json) override {
    bodies.emplace_back(json);
    if (failures > 0) {
      --failures;
      return {503, {}};
    }
    return {204, {}};
  }
  int failures = 0;
  std::vector<std::string> bodies;
};

class CompletionNotifierTest : public ::testing::Test {
 protected:
  RunId EndedRun() {
    const RunId run = RunId::New();
    const PlannedTask t{TaskId::New(), 1, "S1-F1", *ParseLocalMinute("2024-01-01 00:00"),
                        *ParseLocalMinute("2024-01-01 23:59")};
    store.CreateRun(NewRun{run, "manual", "{}", RunContext{"UTC", "{}"}}, {&t, 1});
    store.MarkRunning(run);
    store.CancelRun(run);
    return run;
  }
  CompletionNotifier Notifier(WebhookPoster* hook) {
    return CompletionNotifier(store, store, events, hook, settings, stopper);
  }

  fakes::FakeStore store;
  RecordingEvents events;
  RecordingWebhook webhook;
  runtime::Stopper stopper;
  NotifierSettings settings{std::chrono::seconds(60),    "", {}, 3, 3, std::chrono::milliseconds(1),
                            std::chrono::milliseconds(2)};
};

TEST_F(CompletionNotifierTest, ReportsAnEndedRunOnceWithEventAndWebhook) {
  const RunId run = EndedRun();
  auto notifier = Notifier(&webhook);
  EXPECT_EQ(notifier.ReportDue(), 1);
  EXPECT_EQ(notifier.ReportDue(), 0);
  ASSERT_EQ(events.published.size(), 1u);
  EXPECT_EQ(events.published[0].first, "run.completed");
  const auto event = nlohmann::json::parse(events.published[0].second);
  EXPECT_EQ(event.at("event"), "run.completed");
  EXPECT_EQ(event.at("run_id"), run.ToString());
  EXPECT_EQ(event.at("status"), "CANCELLED");
  EXPECT_TRUE(event.at("csv").is_null());
  ASSERT_EQ(webhook.bodies.size(), 1u);
  EXPECT_EQ(webhook.bodies[0], events.published[0].second);
  EXPECT_TRUE(store.runs.at(run).completion_reported);
}

TEST_F(CompletionNotifierTest, RunningRunIsNotReported) {
  const RunId run = RunId::New();
  store.CreateRun(NewRun{run, "manual", "{}", RunContext{"UTC", "{}"}},
                  std::span<const PlannedTask>());
  EXPECT_EQ(Notifier(nullptr).ReportDue(), 0);
  EXPECT_TRUE(events.published.empty());
}

TEST_F(CompletionNotifierTest, WebhookIsRetriedThenGivenUpWithoutHoldingTheReport) {
  const RunId run = EndedRun();
  webhook.failures = 10;
  EXPECT_EQ(Notifier(&webhook).ReportDue(), 1);
  EXPECT_EQ(webhook.bodies.size(), 3u);
  EXPECT_TRUE(store.runs.at(run).completion_reported);
}

TEST_F(CompletionNotifierTest, WebhookSucceedsOnARetry) {
  EndedRun();
  webhook.failures = 2;
  EXPECT_EQ(Notifier(&webhook).ReportDue(), 1);
  EXPECT_EQ(webhook.bodies.size(), 3u);
}

TEST_F(CompletionNotifierTest, EventThatCannotBePublishedLeavesTheRunClaimed) {
  const RunId run = EndedRun();
  events.failures = 10;
  EXPECT_EQ(Notifier(&webhook).ReportDue(), 0);
  EXPECT_TRUE(webhook.bodies.empty());  // no webhook before the event
  EXPECT_TRUE(store.runs.at(run).completion_claimed);
  EXPECT_FALSE(store.runs.at(run).completion_reported);
}

TEST_F(CompletionNotifierTest, ExportsTheCsvAndNamesItInTheEvent) {
  char dir_template[] = "/tmp/dcp_export_XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  settings.export_dir = dir_template;
  const RunId run = EndedRun();
  EXPECT_EQ(Notifier(nullptr).ReportDue(), 1);
  const std::string path = std::string(dir_template) + "/" + run.ToString() + ".csv";
  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  EXPECT_EQ(nlohmann::json::parse(events.published.at(0).second).at("csv"), path);
  std::filesystem::remove_all(dir_template);
}

TEST_F(CompletionNotifierTest, StoppingDuringRetriesLeavesTheRunForTheNextClaimer) {
  const RunId run = EndedRun();
  events.failures = 10;
  stopper.Stop();
  EXPECT_EQ(Notifier(&webhook).ReportDue(), 0);
  EXPECT_FALSE(store.runs.at(run).completion_reported);
}

}  // namespace
}  // namespace dcp::completion
