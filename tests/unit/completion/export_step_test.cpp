// The export step on the in-memory store: the job's command gets the run's
// tasks as JSON Lines in the workload's order and its variables; its end is
// recorded as FINISHED or FAILED with its exit and stderr; a process runs
// only the exports of the jobs it was given; a stop leaves the claim.
#include "completion/export_step.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "fake_stores.hpp"
#include "views/export_csv.hpp"

namespace dcp::completion {
namespace {

job::Job ExportingJob(const std::string& export_command) {
  auto job = job::ParseJob(
      "name: forecast\nworkload: {items: [b, a]}\ncompute: {builtin: noop}\n"
      "export: {command: " +
      export_command + ", timeout: 20, env: [EXPORT_MARK]}\n");
  EXPECT_TRUE(job) << job.reason();
  return job.value();
}

class ExportStepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = ::testing::TempDir() + "/export_step_" + std::to_string(getpid());
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir + "/out");
    setenv("EXPORT_MARK", "passed", 1);
  }
  void TearDown() override { std::filesystem::remove_all(dir); }

  // A run of `job` planned window-major, 2 windows x selections b, a; every
  // task ended (the first FAILED).
  RunId EndedRun(const job::Job& job) {
    const RunId run = RunId::New();
    std::vector<PlannedTask> tasks;
    std::int64_t seq = 0;
    for (const char* start : {"2024-01-01", "2024-02-01"}) {
      for (const char* selection : {"b", "a"}) {
        const LocalMinute at = *ParseLocalMinute(std::string(start) + " 00:00");
        tasks.push_back(PlannedTask{TaskId::New(), ++seq, selection, at, at,
                                    std::string(selection) == "a" ? R"({"p":1})" : ""});
      }
    }
    NewRun record{run, "manual", "{}", RunContext{"UTC", "t"}, job.text};
    record.context.job_name = job.name;
    record.context.job_sha256 = job.sha256;
    record.selection_count = 2;
    record.has_export = true;
    store.CreateRun(record, tasks);
    store.MarkRunning(run);
    for (const PlannedTask& t : tasks) {
      const TaskMessage m{run, t.id, t.selection, t.start, t.end, t.params};
      store.StartTask(m, "w");
      if (t.seq == 1) {
        store.FailTask(m.task_id, run, 1, "boom");
      } else {
        store.FinishTask(m, TaskResult{"exec", t.selection + std::to_string(t.seq) + "\n"});
      }
    }
    return run;
  }
  int RunDue(const std::vector<job::Job>& jobs, int* failed = nullptr) {
    return ExportRunner(store, store, jobs, ExportSettings{dir + "/out", dir}, stopper)
        .RunDue({}, failed);
  }

  std::string dir;
  fakes::FakeStore store;
  runtime::Stopper stopper;
};

TEST_F(ExportStepTest, TheCommandReadsTheTasksInTheWorkloadsOrderWithItsVariables) {
  const job::Job job = ExportingJob(
      R"cmd([sh, -c, 'cat > "$DCP_EXPORT_DIR/$DCP_RUN_ID.jsonl"; echo "$DCP_RUN_STATUS $DCP_EXPORT_ATTEMPT $DCP_JOB $EXPORT_MARK ${DCP_MYSQL_URL:-none} $(basename "$DCP_WORK_DIR")" > "$DCP_EXPORT_DIR/env"'])cmd");
  const RunId run = EndedRun(job);
  int failed = 0;
  EXPECT_EQ(RunDue({job}, &failed), 1);
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(store.GetRun(run)->export_state->status, ExportStatus::kFinished);
  EXPECT_EQ(RunDue({job}), 0);  // once

  std::ifstream lines(dir + "/out/" + run.ToString() + ".jsonl");
  std::vector<std::string> seen;
  for (std::string line; std::getline(lines, line);) {
    const auto j = nlohmann::json::parse(line);
    seen.push_back(j.at("selection").get<std::string>() + " " +
                   j.at("start_date").get<std::string>() + " " + j.at("status").get<std::string>() +
                   " " + (j.at("result").is_null() ? "null" : j.at("result").get<std::string>()) +
                   (j.at("error").is_null() ? "" : j.at("error").get<std::string>()) +
                   (j.contains("params") ? " " + j.at("params").dump() : ""));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"b 2024-01-01 00:00 FAILED nullboom",
                                            "b 2024-02-01 00:00 FINISHED b3\n",
                                            "a 2024-01-01 00:00 FINISHED a2\n {\"p\":1}",
                                            "a 2024-02-01 00:00 FINISHED a4\n {\"p\":1}"}));
  std::ifstream env(dir + "/out/env");
  std::string text((std::istreambuf_iterator<char>(env)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.substr(0, text.find(" export-")), "FAILED 1 forecast passed none");
  // The scratch directory is gone with the command.
  EXPECT_FALSE(std::filesystem::exists(dir + "/" + text.substr(text.find("export-"), 100)));
}

TEST_F(ExportStepTest, AFailingCommandIsRecordedWithItsExitAndStderrAndRerunAsTheNextAttempt) {
  const job::Job job = ExportingJob(R"("cat >/dev/null; echo disk full >&2; exit 3")");
  const RunId run = EndedRun(job);
  int failed = 0;
  EXPECT_EQ(RunDue({job}, &failed), 1);
  EXPECT_EQ(failed, 1);
  auto state = store.GetRun(run)->export_state;
  EXPECT_EQ(state->status, ExportStatus::kFailed);
  EXPECT_EQ(state->attempt, 1);
  EXPECT_EQ(state->error, "exit 3: disk full");
  EXPECT_EQ(store.GetRun(run)->status, RunStatus::kFailed);  // the run's own status is untouched
  EXPECT_EQ(store.RequestExport(run), ExportRequest::kRequested);
  EXPECT_EQ(RunDue({job}), 1);
  EXPECT_EQ(store.GetRun(run)->export_state->attempt, 2);
}

TEST_F(ExportStepTest, OnlyTheJobsGivenAreExportedAndAStopLeavesTheClaim) {
  const job::Job job = ExportingJob(R"("cat >/dev/null")");
  const RunId run = EndedRun(job);
  job::Job edited = ExportingJob(R"("cat >/dev/null # another version")");
  EXPECT_EQ(RunDue({edited}), 0);  // another version of the job: not its run
  EXPECT_EQ(store.GetRun(run)->export_state->status, ExportStatus::kPending);
  stopper.Stop();
  EXPECT_EQ(RunDue({job}), 0);
  EXPECT_EQ(store.GetRun(run)->export_state->status, ExportStatus::kPending);
}

TEST(ExportLease, IsTheLongestTimeoutAndAMargin) {
  auto a = job::ParseJob(
      "name: a\nworkload: {items: [x]}\ncompute: {builtin: noop}\n"
      "export: {command: x, timeout: 100}\n");
  auto b = job::ParseJob("name: b\nworkload: {items: [x]}\ncompute: {builtin: noop}\n");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(ExportLease({*a, *b}), std::chrono::seconds(100) + kExportLeaseMargin);
  EXPECT_EQ(ExportingJobs({*a, *b}).size(), 1u);
  auto c = job::ParseJob(
      "name: c\nworkload: {items: [x]}\ncompute: {builtin: noop}\nexport: {command: x}\n");
  ASSERT_TRUE(c);
  EXPECT_EQ(ExportLease({*b, *c}), kDefaultExportTimeout + kExportLeaseMargin);
}

}  // namespace
}  // namespace dcp::completion
