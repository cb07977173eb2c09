#include "monitor/api.hpp"

#include <gtest/gtest.h>

#include <algorithm>

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
  ApiSettings settings = [] {
    ApiSettings s;
    s.token = "s3cret";
    return s;
  }();
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

TEST_F(ApiTest, AReadTokenGuardsEveryGetAndTheTokenAlsoReads) {
  settings.read_token = "reader";
  for (const std::string& target : std::vector<std::string>{
           "/api/runs", "/api/workers", "/api/queue", "/api/runs/" + run.ToString() + "/tasks"}) {
    EXPECT_EQ(Call("GET", target, {}, "").status, 401) << target;
    EXPECT_EQ(Call("GET", target, {}, "readers").status, 401) << target;
    EXPECT_EQ(Call("GET", target, {}, "reader").status, 200) << target;
    EXPECT_EQ(Call("GET", target, {}, "s3cret").status, 200) << target;
  }
  // The read token does not mutate.
  EXPECT_EQ(Call("POST", "/api/runs/" + run.ToString() + "/cancel", {}, "reader").status, 401);
  EXPECT_EQ(store.runs.at(run).status, RunStatus::kRunning);
  settings.read_token.clear();
  EXPECT_EQ(Call("GET", "/api/runs", {}, "").status, 200) << "without one, reads are open";
}

TEST_F(ApiTest, TasksComeInBoundedPagesWithALinkToTheNext) {
  std::vector<PlannedTask> more;
  for (int i = 0; i < 5; ++i) {
    more.push_back({TaskId::New(), i + 1, "S" + std::to_string(i),
                    *ParseLocalMinute("2024-01-01 00:00"), *ParseLocalMinute("2024-01-01 23:59")});
  }
  const RunId big = RunId::New();
  store.CreateRun(NewRun{big, "manual", "{}", RunContext{"UTC", "{}"}}, more);
  const std::string tasks = "/api/runs/" + big.ToString() + "/tasks";
  const auto first = Call("GET", tasks + "?limit=2");
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(json::parse(first.body).size(), 2u);
  const auto link = std::find_if(first.headers.begin(), first.headers.end(),
                                 [](const auto& h) { return h.first == "Link"; });
  ASSERT_NE(link, first.headers.end());
  EXPECT_EQ(link->second, "<" + tasks + "?limit=2&offset=2>; rel=\"next\"");
  const auto last = Call("GET", tasks + "?limit=2&offset=4");
  EXPECT_EQ(json::parse(last.body).at(0).at("selection"), "S4");
  EXPECT_TRUE(std::none_of(last.headers.begin(), last.headers.end(),
                           [](const auto& h) { return h.first == "Link"; }));
  EXPECT_EQ(Call("GET", tasks + "?limit=1001").status, 400) << "a page is at most 1000";
  EXPECT_EQ(Call("GET", tasks + "?offset=-1").status, 400);
}

TEST_F(ApiTest, WorkersAreTheLiveOnesUnlessAllAreAskedFor) {
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  store.workers = {WorkerView{"live", "h", 1, now, now, std::nullopt, 0, 0, std::nullopt},
                   WorkerView{"stopped", "h", 2, now, now, now, 0, 0, std::nullopt},
                   WorkerView{"lost", "h", 3, now, now - std::chrono::hours(1), std::nullopt, 0, 0,
                              std::nullopt}};
  const auto live = json::parse(Call("GET", "/api/workers").body);
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live.at(0).at("worker_id"), "live");
  EXPECT_EQ(json::parse(Call("GET", "/api/workers?all=1").body).size(), 3u);
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
