#include "monitor/api.hpp"

#include <gtest/gtest.h>

#include "fake_stores.hpp"

namespace dcp::monitor {
namespace {

using nlohmann::json;

class ApiTest : public ::testing::Test {
 protected:
  ApiTest() {
    actions.queue = [] { return json{{"depth", 3}}; };
    actions.trigger = [this](const planning::RunParameters& p) -> Result<planning::RunOutcome> {
      triggered.push_back(p);
      if (p.window == "fortnight") return Error{"window 'fortnight': unknown"};
      return planning::RunOutcome{planning::RunOutcome::Status::kPublished, run, 4, 0, {}};
    };
    actions.publish_requeued = [](const RunId&) { return std::int64_t{1}; };
    const PlannedTask t{TaskId::New(), 1, "S1-F1", *ParseLocalMinute("2024-01-01 00:00"),
                        *ParseLocalMinute("2024-01-01 23:59")};
    store.CreateRun(NewRun{run, "manual", "{}", RunContext{"UTC", "{}"}}, {&t, 1});
    store.MarkRunning(run);
  }
  http::Response Call(const std::string& method, const std::string& target,
                      const std::string& body = {}, const std::string& token = "s3cret") {
    http::Request r;
    r.method = method;
    const auto q = target.find('?');
    r.path = target.substr(0, q);
    if (q != std::string::npos) r.query = target.substr(q + 1);
    r.body = body;
    if (!token.empty()) r.headers["authorization"] = "Bearer " + token;
    return Api(store, store, actions, settings).Handle(r);
  }

  fakes::FakeStore store;
  ApiActions actions;
  ApiSettings settings{"s3cret", std::chrono::seconds(30)};
  RunId run = RunId::New();
  std::vector<planning::RunParameters> triggered;
};

TEST_F(ApiTest, ListsRunsAndOneRun) {
  const auto list = Call("GET", "/api/runs");
  EXPECT_EQ(list.status, 200);
  EXPECT_EQ(json::parse(list.body).at(0).at("run_id"), run.ToString());
  EXPECT_EQ(Call("GET", "/api/runs/" + run.ToString()).status, 200);
  EXPECT_EQ(Call("GET", "/api/runs/" + RunId::New().ToString()).status, 404);
  EXPECT_EQ(Call("GET", "/api/runs/nope").status, 400);
  EXPECT_EQ(Call("GET", "/api/runs?limit=0").status, 400);
  EXPECT_EQ(Call("GET", "/api/elsewhere").status, 404);
}

TEST_F(ApiTest, FiltersTasksByStatus) {
  EXPECT_EQ(json::parse(Call("GET", "/api/runs/" + run.ToString() + "/tasks").body).size(), 1u);
  EXPECT_EQ(
      json::parse(Call("GET", "/api/runs/" + run.ToString() + "/tasks?status=FAILED").body).size(),
      0u);
  EXPECT_EQ(Call("GET", "/api/runs/" + run.ToString() + "/tasks?status=done").status, 400);
}

TEST_F(ApiTest, MutationsAreDisabledWithoutATokenAndNeedTheRightOne) {
  settings.token.clear();
  const auto disabled = Call("POST", "/api/runs/" + run.ToString() + "/cancel");
  EXPECT_EQ(disabled.status, 403);
  EXPECT_NE(disabled.body.find("DCP_MONITOR_TOKEN"), std::string::npos);
  settings.token = "s3cret";
  EXPECT_EQ(Call("POST", "/api/runs", "{}", "").status, 401);
  EXPECT_EQ(Call("POST", "/api/runs", "{}", "s3creT").status, 401);
  EXPECT_EQ(Call("POST", "/api/runs", "{}", "s3cret-and-more").status, 401);
  EXPECT_TRUE(triggered.empty());
  EXPECT_EQ(store.runs.at(run).status, RunStatus::kRunning);
}

TEST_F(ApiTest, TriggerValidatesTheBody) {
  EXPECT_EQ(Call("POST", "/api/runs", "[1]").status, 400);
  EXPECT_EQ(Call("POST", "/api/runs", "{\"from\": 1}").status, 400);
  const auto unknown = Call("POST", "/api/runs", "{\"colour\": \"red\"}");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.body.find("colour"), std::string::npos);
  const auto bad = Call("POST", "/api/runs", "{\"window\": \"fortnight\"}");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(json::parse(bad.body).at("error"), "window 'fortnight': unknown");
  const auto ok = Call("POST", "/api/runs", "{\"from\":\"2024-01-01\",\"to\":\"2024-01-31\"}");
  EXPECT_EQ(ok.status, 201);
  EXPECT_EQ(triggered.back().from, "2024-01-01");
  EXPECT_EQ(triggered.back().window, "");  // not given: the job's
}

TEST_F(ApiTest, CancelThenRetryIsAConflict) {
  const auto cancelled = Call("POST", "/api/runs/" + run.ToString() + "/cancel");
  EXPECT_EQ(cancelled.status, 200);
  EXPECT_EQ(json::parse(cancelled.body).at("tasks_cancelled"), 1);
  EXPECT_EQ(Call("POST", "/api/runs/" + run.ToString() + "/cancel").status, 409);
  EXPECT_EQ(Call("POST", "/api/runs/" + run.ToString() + "/retry").status, 409);
}

TEST_F(ApiTest, QueryParamsAreDecoded) {
  EXPECT_EQ(QueryParam("a=1&status=FAILED", "status"), "FAILED");
  EXPECT_EQ(QueryParam("q=a+b%2Fc", "q"), "a b/c");
  EXPECT_EQ(QueryParam("q=%zz", "q"), "%zz");
  EXPECT_EQ(QueryParam("other=1", "q"), "");
}

}  // namespace
}  // namespace dcp::monitor
