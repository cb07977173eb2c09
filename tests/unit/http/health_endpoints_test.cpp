#include "http/health_endpoints.hpp"

#include <gtest/gtest.h>

#include "server_fixture.hpp"

namespace dcp::http::testing {
namespace {

class HealthEndpointsTest : public ServerTest {};

TEST_F(HealthEndpointsTest, HealthzAnswersOkWhileTheLoopTurns) {
  metrics::Registry registry;
  InstallHealthEndpoints(StartServer(), registry, nullptr);
  Listen();
  const auto raw = Get("/healthz");
  EXPECT_TRUE(raw.starts_with("HTTP/1.1 200 OK\r\n")) << raw;
  EXPECT_TRUE(raw.ends_with("\r\n\r\nok\n"));
}

TEST_F(HealthEndpointsTest, ReadyzFollowsTheReadinessCheck) {
  metrics::Registry registry;
  bool broker = false;
  InstallHealthEndpoints(StartServer(), registry, [&broker] {
    return std::pair<bool, std::string>(broker, broker ? "" : "broker not connected");
  });
  Listen();
  auto raw = Get("/readyz");
  EXPECT_TRUE(raw.starts_with("HTTP/1.1 503 ")) << raw;
  EXPECT_TRUE(raw.ends_with("not ready: broker not connected\n"));
  broker = true;
  raw = Get("/readyz");
  EXPECT_TRUE(raw.starts_with("HTTP/1.1 200 ")) << raw;
  EXPECT_TRUE(raw.ends_with("ready\n"));
}

TEST_F(HealthEndpointsTest, MetricsServesTheRegistryAsPrometheusText) {
  metrics::Registry registry;
  auto& started = registry.AddCounter("dcp_tasks_started_total", "Tasks started.");
  InstallHealthEndpoints(StartServer(), registry, nullptr);
  Listen();
  started.Increment(4);
  const auto raw = Get("/metrics");
  EXPECT_NE(raw.find("Content-Type: text/plain; version=0.0.4"), std::string::npos) << raw;
  EXPECT_NE(raw.find("# TYPE dcp_tasks_started_total counter\ndcp_tasks_started_total 4\n"),
            std::string::npos);
  EXPECT_TRUE(Get("/metrics", "POST").starts_with("HTTP/1.1 405 "));
}

}  // namespace
}  // namespace dcp::http::testing
