#include "cli/tables.hpp"

#include <gtest/gtest.h>

namespace dcp::cli {
namespace {

SysSeconds At(std::int64_t s) { return SysSeconds(std::chrono::seconds(1'700'000'000 + s)); }

TEST(Tables, RunsTableHasOneLinePerRunAndAHeader) {
  RunSummary r;
  r.id = RunId::New();
  r.trigger = "cron";
  r.status = RunStatus::kFinished;
  r.task_count = 4;
  r.created_at = At(0);
  r.finished_at = At(65);
  r.counts = {0, 0, 3, 1, 0};
  const std::string text = RunsTable({r, r}, At(100));
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3);
  EXPECT_EQ(text.rfind("RUN", 0), 0u);
  EXPECT_NE(text.find(r.id.ToString() + "  cron"), std::string::npos) << text;
  EXPECT_NE(text.find("FINISHED  4/4   1 min 05 s"), std::string::npos) << text;
}

TEST(Tables, TasksTableShowsWindowAttemptsWorkerDurationAndError) {
  TaskView t;
  t.id = TaskId::New();
  t.status = TaskStatus::kFailed;
  t.selection = "S1-F1";
  t.start = ParseLocalMinute("2024-01-01 00:00");
  t.end = ParseLocalMinute("2024-01-31 23:59");
  t.attempt = 3;
  t.worker = "w1";
  t.started_at = At(0);
  t.finished_at = At(7);
  t.error = "boom\n\x1b[2Jline";
  const std::string text = TasksTable({t});
  for (const char* cell :
       {"FAILED  ", "S1-F1  ", "2024-01-01 00:00 .. 2024-01-31 23:59  ", "3  ", "w1  ", "7 s  "}) {
    EXPECT_NE(text.find(cell), std::string::npos) << cell << " in " << text;
  }
  // Control characters from the database cannot drive the terminal.
  EXPECT_NE(text.find("boom??[2Jline"), std::string::npos) << text;
}

TEST(Tables, WorkersTableSaysAliveSilentOrStopped) {
  WorkerView alive{"w1", "h1", 1, At(0), At(95), std::nullopt, 7, 2, "task-of-w1"};
  WorkerView silent{"w2", "h2", 2, At(0), At(10), std::nullopt, 0, 1, std::nullopt};
  WorkerView stopped{"w3", "h3", 3, At(0), At(99), At(99), 4, 0, std::nullopt};
  const std::string text =
      WorkersTable({alive, silent, stopped}, At(100), std::chrono::seconds(30));
  EXPECT_NE(text.find("5 s ago"), std::string::npos) << text;
  EXPECT_NE(text.find("alive"), std::string::npos);
  EXPECT_NE(text.find("silent"), std::string::npos);
  EXPECT_NE(text.find("stopped"), std::string::npos);
  EXPECT_NE(text.find("CURRENT TASK"), std::string::npos);
  EXPECT_NE(text.find("task-of-w1"), std::string::npos) << text;
}

}  // namespace
}  // namespace dcp::cli
