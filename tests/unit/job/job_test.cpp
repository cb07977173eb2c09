#include "job/job.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "domain/cron_schedule.hpp"

namespace dcp::job {
namespace {

std::string CronError(std::string_view text) { return CronSchedule::Parse(text).reason(); }

constexpr const char* kFull = R"(# a team's job
name: forecast
topology:
  command: [python3, job.py, topology]
workload:
  command: python3 job.py workload | sort
window: none
range: {from: 2024-01-01, to: 2024-12-31}
tz: Europe/Amsterdam
schedule: "0 3 1 * *"
queue: team.forecast
compute:
  command: [python3, job.py, compute]
  mode: oneshot
  timeout: 60
  attempts: 5
  memory: 512
  env: [TEAM_TOKEN]
export:
  command: [python3, job.py, export]
  timeout: 120
)";

void ExpectError(std::string_view text, const std::string& expected) {
  const auto job = ParseJob(text, "job.yaml");
  ASSERT_FALSE(job.ok()) << text;
  EXPECT_EQ(job.reason(), "job.yaml: " + expected) << text;
}

TEST(ParseJob, ReadsEveryKey) {
  const auto parsed = ParseJob(kFull);
  ASSERT_TRUE(parsed.ok()) << parsed.reason();
  const Job& job = *parsed;
  EXPECT_EQ(job.name, "forecast");
  EXPECT_EQ(job.topology.source, Source::kCommand);
  EXPECT_EQ(job.topology.command.argv, (std::vector<std::string>{"python3", "job.py", "topology"}));
  EXPECT_EQ(job.workload.source, Source::kCommand);
  EXPECT_EQ(job.workload.command.argv,
            (std::vector<std::string>{"/bin/sh", "-c", "python3 job.py workload | sort"}));
  EXPECT_EQ(job.window, "none");
  EXPECT_EQ(job.range, "2024-01-01..2024-12-31");
  EXPECT_EQ(job.tz, "Europe/Amsterdam");
  EXPECT_EQ(job.schedule, "0 3 1 * *");
  EXPECT_EQ(QueueOf(job), "team.forecast");
  EXPECT_EQ(job.compute.command.argv.at(2), "compute");
  EXPECT_EQ(job.compute.timeout, 60);
  EXPECT_EQ(job.compute.attempts, 5);
  EXPECT_EQ(job.compute.memory, 512);
  EXPECT_EQ(job.compute.env, (std::vector<std::string>{"TEAM_TOKEN"}));
  EXPECT_EQ(job.export_step.command.argv.at(2), "export");
  EXPECT_EQ(job.export_step.timeout, 120);
  EXPECT_EQ(job.text, kFull);
  EXPECT_EQ(job.sha256, Sha256Hex(kFull));
}

TEST(ParseJob, OnlyNameWorkloadAndComputeAreRequired) {
  const auto job = ParseJob("name: tiny\nworkload: {items: [a, b]}\ncompute: {builtin: noop}\n");
  ASSERT_TRUE(job.ok()) << job.reason();
  EXPECT_EQ(job->topology.source, Source::kNone);
  EXPECT_EQ(job->workload.items, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(job->window, "month");
  EXPECT_EQ(job->compute.mode, "oneshot");
  EXPECT_TRUE(job->export_step.command.empty());
  EXPECT_EQ(QueueOf(*job), "dcp.tiny");
}

TEST(ParseJob, JsonIsYamlToo) {
  const auto job = ParseJob(
      R"({"name": "j", "workload": {"file": "ids.txt"}, "compute": {"command": ["./run"]}})");
  ASSERT_TRUE(job.ok()) << job.reason();
  EXPECT_EQ(job->workload.file, "ids.txt");
}

TEST(ParseJob, AnErrorNamesTheKeyPathAndTheLine) {
  constexpr const char* kBase = "name: j\nworkload: {items: [a]}\n";
  ExpectError(std::string(kBase) + "compute: {builtin: noop}\ncompute_typo: 1\n",
              "compute_typo: unknown key (known here: compute, export, name, queue, range, "
              "schedule, topology, tz, window, workload) (line 4)");
  ExpectError(std::string(kBase) + "compute:\n  command: [./run]\n  timout: 3\n",
              "compute.timout: unknown key (known here: attempts, builtin, command, env, memory, "
              "mode, recycle, startup_timeout, startup_tries, timeout) (line 5)");
  ExpectError(std::string(kBase) + "compute:\n  command: [./run]\n  timeout: soon\n",
              "compute.timeout: expected seconds from 1 to 604800, got 'soon' (line 5)");
  ExpectError(std::string(kBase) + "compute:\n  command: {run: x}\n",
              "compute.command: expected a command: a string (run by /bin/sh -c) or an argv "
              "list, got a mapping (line 4)");
  ExpectError(std::string(kBase) + "compute: {command: [./run, [x]]}\n",
              "compute.command[1]: expected a string, got a list (line 3)");
  ExpectError(std::string(kBase) + "compute: {command: []}\n",
              "compute.command: expected a command, got an empty list (line 3)");
  ExpectError(std::string(kBase) + "compute: {command: ./run, env: [DCP_MYSQL_URL]}\n",
              "compute.env[0]: DCP_MYSQL_URL: dcp's own variables are never passed to a step "
              "(they hold its secrets) (line 3)");
  ExpectError(std::string(kBase) + "compute: {command: ./run, mode: forever}\n",
              "compute.mode: expected oneshot (a process per task) or persistent (one kept per "
              "worker thread), got 'forever' (line 3)");
  ExpectError(std::string(kBase) + "compute: {builtin: noop, mode: persistent}\n",
              "compute.mode: persistent needs a compute.command (line 3)");
  ExpectError(std::string(kBase) + "compute: {command: ./run, recycle: {tasks: 10}}\n",
              "compute.recycle: only with mode: persistent (line 3)");
  ExpectError(std::string(kBase) +
                  "compute: {command: ./run, mode: persistent, recycle: {per_run: maybe}}\n",
              "compute.recycle.per_run: expected true or false, got 'maybe' (line 3)");
  ExpectError(
      std::string(kBase) + "compute: {command: ./run, mode: persistent, recycle: {memory: 0}}\n",
      "compute.recycle.memory: expected MiB from 1 to 16777216, got '0' (line 3)");
  ExpectError(std::string(kBase) + "compute: {builtin: magic}\n",
              "compute.builtin: unknown built-in 'magic' (reference, noop, sleep:MS, spin:MS) "
              "(line 3)");
  ExpectError(std::string(kBase) + "compute: {}\n",
              "compute: expected one of command, builtin (line 3)");
  ExpectError(std::string(kBase) + "compute: {command: a, builtin: noop}\n",
              "compute: give one of command and builtin, not both (line 3)");
  ExpectError("name: j\ncompute: {builtin: noop}\n",
              "workload: missing (name, workload and compute are required) (line 1)");
  ExpectError("name: J!\nworkload: {items: [a]}\ncompute: {builtin: noop}\n",
              "name: expected lowercase letters, digits, '.', '_' or '-' (at most 64, a letter "
              "or digit first), got 'J!' (line 1)");
  ExpectError(std::string(kBase) + "compute: {builtin: noop}\nwindow: fortnight\n",
              "window: window 'fortnight': expected month, week, day, Nh with 1 <= N <= 24, or "
              "none (line 4)");
  ExpectError(std::string(kBase) + "compute: {builtin: noop}\ntz: Mars/Olympus\n",
              "tz: unknown time zone 'Mars/Olympus' (line 4)");
  ExpectError(
      std::string(kBase) + "compute: {builtin: noop}\nrange: {from: 2024-02-01, to: 2024-01-01}\n",
      "range: to (2024-01-01) is before from (2024-02-01) (line 4)");
  ExpectError(std::string(kBase) + "compute: {builtin: noop}\nrange: last-year\n",
              "range: expected previous-month, previous-week, previous-day, current-month or "
              "{from, to}, got 'last-year' (line 4)");
  ExpectError(std::string(kBase) + "compute: {builtin: noop}\nschedule: every day\n",
              "schedule: " + CronError("every day") + " (line 4)");
  ExpectError("name: j\nworkload: {builtin: reference}\ncompute: {builtin: noop}\n",
              "workload.builtin: the reference workload is the feeders of the reference "
              "topology: give topology.builtin: reference too (line 2)");
  ExpectError("[a, b]", "the file: expected a mapping, got a list (line 1)");
  ExpectError("", "empty (name, workload and compute are required)");
}

TEST(ParseJob, NotYamlIsAnErrorWithItsLine) {
  const auto job = ParseJob("name: j\nworkload: [a\n", "job.yaml");
  ASSERT_FALSE(job.ok());
  EXPECT_TRUE(job.reason().starts_with("job.yaml: not YAML: ")) << job.reason();
}

TEST(LoadJobFile, KnowsItsDirectoryAndSaysWhichFileCannotBeRead) {
  const std::string path = testing::TempDir() + "/job_test.yaml";
  std::ofstream(path) << "name: j\nworkload: {file: ids.txt}\ncompute: {builtin: noop}\n";
  const auto job = LoadJobFile(path);
  ASSERT_TRUE(job.ok()) << job.reason();
  EXPECT_TRUE(std::filesystem::equivalent(job->directory, testing::TempDir())) << job->directory;
  const auto missing = LoadJobFile("/nonexistent/job.yaml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.reason(), "job file /nonexistent/job.yaml: cannot be read");
}

TEST(ReferenceJob, IsTheShippedGridWorkloadOnTheClassicQueue) {
  const Job& job = ReferenceJob();
  EXPECT_EQ(job.name, "reference");
  EXPECT_EQ(QueueOf(job), "dcp.tasks");
  EXPECT_EQ(job.topology.source, Source::kBuiltin);
  EXPECT_EQ(job.workload.source, Source::kBuiltin);
  EXPECT_EQ(job.compute.builtin, "reference");
  EXPECT_EQ(job.window, "month");
}

TEST(Sha256Hex, IsTheStandardDigest) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace dcp::job

namespace dcp::job {
namespace {

TEST(ParseJob, PersistentModeAndItsKeys) {
  const auto job = ParseJob(
      "name: j\nworkload: {items: [a]}\ncompute:\n  command: [python3, job.py, serve]\n"
      "  mode: persistent\n  startup_timeout: 20\n  startup_tries: 4\n"
      "  recycle: {tasks: 500, memory: 256, per_run: true}\n");
  ASSERT_TRUE(job.ok()) << job.reason();
  const ComputeStep& c = job->compute;
  EXPECT_EQ(c.mode, "persistent");
  EXPECT_EQ(c.startup_timeout, 20);
  EXPECT_EQ(c.startup_tries, 4);
  EXPECT_EQ(c.recycle.tasks, 500);
  EXPECT_EQ(c.recycle.memory, 256);
  EXPECT_TRUE(c.recycle.per_run);
}

}  // namespace
}  // namespace dcp::job
