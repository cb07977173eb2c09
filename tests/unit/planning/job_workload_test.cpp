#include "planning/job_workload.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "domain/task_message.hpp"

namespace dcp::planning {
namespace {

job::Job JobOf(const std::string& yaml) {
  auto job = job::ParseJob(yaml);
  EXPECT_TRUE(job.ok()) << job.reason();
  job.value().directory = testing::TempDir();
  return std::move(job).value();
}

Result<Workload> Build(const std::string& yaml, WorkloadLimits limits = {}) {
  return BuildWorkload(JobOf(yaml), limits, [] {
    return Result<Workload>(Workload{"GRID", {"F1", "F2"}});
  });
}

constexpr const char* kCompute = "compute: {builtin: noop}\n";

TEST(BuildWorkload, TheReferenceJobIsTheReferenceWorkload) {
  const auto w = BuildWorkload(job::ReferenceJob(), {}, [] {
    return Result<Workload>(Workload{"GRID", {"F1", "F2"}});
  });
  ASSERT_TRUE(w.ok()) << w.reason();
  EXPECT_EQ(w->topology, "GRID");
  EXPECT_EQ(w->selections, (std::vector<std::string>{"F1", "F2"}));
}

TEST(BuildWorkload, ItemsInTheirOrderWithoutATopology) {
  const auto w = Build(std::string("name: j\nworkload: {items: ['10', '2', x]}\n") + kCompute);
  ASSERT_TRUE(w.ok()) << w.reason();
  EXPECT_EQ(w->topology, "");
  EXPECT_EQ(w->selections, (std::vector<std::string>{"10", "2", "x"}));
}

TEST(BuildWorkload, ATopologyCommandsOutputIsTheTopologyAndTheWorkloadCommandReadsIt) {
  // Bytes, not text: a NUL and no final newline survive.
  const auto w = Build(std::string("name: j\n"
                                   "topology: {command: \"printf 'a\\\\000b\\\\nc'\"}\n"
                                   "workload: {command: [sh, -c, 'tr -d \\\\000 < "
                                   "\"$DCP_TOPOLOGY_FILE\"; echo; echo \"$DCP_JOB\"']}\n") +
                       kCompute);
  ASSERT_TRUE(w.ok()) << w.reason();
  EXPECT_EQ(w->topology, std::string("a\0b\nc", 5));
  EXPECT_EQ(w->selections, (std::vector<std::string>{"ab", "c", "j"}));
}

TEST(BuildWorkload, FilesAreReadFromTheJobsDirectory) {
  std::ofstream(testing::TempDir() + "/ids.txt") << "S1\r\nS2\n";
  std::ofstream(testing::TempDir() + "/topology.bin") << "T";
  const auto w =
      Build(std::string("name: j\ntopology: {file: topology.bin}\nworkload: {file: ids.txt}\n") +
            kCompute);
  ASSERT_TRUE(w.ok()) << w.reason();
  EXPECT_EQ(w->topology, "T");
  EXPECT_EQ(w->selections, (std::vector<std::string>{"S1", "S2"}));
}

TEST(BuildWorkload, AFailingSilentOrTooTalkativeTopologyCommandFailsTheRun) {
  const std::string items = "workload: {items: [a]}\n";
  auto w =
      Build("name: j\ntopology: {command: 'echo no database >&2; exit 3'}\n" + items + kCompute);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.reason(), "topology.command: exit 3: no database");
  w = Build("name: j\ntopology: {command: 'true'}\n" + items + kCompute);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.reason(), "topology.command: printed nothing (a topology is its stdout)");
  WorkloadLimits small;
  small.max_topology_bytes = 10;
  w = Build("name: j\ntopology: {command: 'yes'}\n" + items + kCompute, small);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.reason(), "topology.command: more than 10 bytes on stdout");
  w = Build("name: j\ntopology: {file: /nonexistent}\n" + items + kCompute);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.reason(), "topology.file: /nonexistent: cannot be read");
}

TEST(BuildWorkload, AWorkloadCommandPrintingBadLinesSaysWhichLine) {
  auto w = Build(std::string("name: j\nworkload: {command: 'printf \"a\\\\nb\\\\na\\\\n\"'}\n") +
                 kCompute);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.reason(), "workload.command: line 3: duplicate id 'a'");
  w = Build(std::string("name: j\nworkload: {command: 'exit 0'}\n") + kCompute);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.reason(), "workload.command: no selections");
}

TEST(ParseSelectionLines, ChecksEveryLine) {
  const auto bad = [](std::string_view text, std::size_t max = 100) {
    const auto r = ParseSelectionLines(text, "workload.file", max);
    EXPECT_FALSE(r.ok()) << text;
    return r.ok() ? std::string() : r.reason();
  };
  EXPECT_EQ(bad("a\n\nb\n"), "workload.file: line 2: empty id");
  EXPECT_EQ(bad("a\n" + std::string(256, 'x') + "\n"),
            "workload.file: line 2: id of 256 bytes, more than 255");
  EXPECT_EQ(bad("a\n\xff\n"), "workload.file: line 2: id is not UTF-8");
  EXPECT_EQ(bad("a\tb\n"), "workload.file: line 1: id holds a control character");
  EXPECT_EQ(bad("a\nb\nc\n", 2),
            "workload.file: line 3: more than the 2 tasks a run may have (DCP_MAX_TASKS_PER_RUN)");
  const auto ok = ParseSelectionLines("b\na", "workload.file", 100);
  ASSERT_TRUE(ok.ok()) << ok.reason();
  EXPECT_EQ(ok->selections, (std::vector<std::string>{"b", "a"}));
  EXPECT_TRUE(ok->params.empty());
}

TEST(ParseSelectionLines, ReadsJsonLinesWithParams) {
  const auto ok =
      ParseSelectionLines("plain\n{\"id\": \"b\", \"params\": {\"k\": [1, 2]}}\n{\"id\": \"c\"}\n",
                          "workload.command", 100);
  ASSERT_TRUE(ok.ok()) << ok.reason();
  EXPECT_EQ(ok->selections, (std::vector<std::string>{"plain", "b", "c"}));
  EXPECT_EQ(ok->params, (std::vector<std::string>{"", R"({"k":[1,2]})", ""}));

  const auto bad = [](std::string_view text) {
    const auto r = ParseSelectionLines(text, "workload.command", 100);
    EXPECT_FALSE(r.ok()) << text;
    return r.ok() ? std::string() : r.reason();
  };
  EXPECT_EQ(bad("a\n{\"id\": 7}\n"), "workload.command: line 2: no \"id\" string");
  EXPECT_EQ(bad("{\"id\": \"a\", \"param\": {}}"),
            "workload.command: line 1: unknown key 'param' (an object has \"id\" and \"params\")");
  EXPECT_EQ(bad("{\"id\": \"a\", \"params\": 3}"),
            "workload.command: line 1: \"params\" is not a JSON object");
  EXPECT_EQ(bad("{\"id\": \"a\""), "workload.command: line 1: not a JSON object");
  EXPECT_EQ(bad("{\"id\": \"a\"}\n{\"id\": \"a\"}"), "workload.command: line 2: duplicate id 'a'");
  const std::string big =
      "{\"id\": \"a\", \"params\": {\"x\": \"" + std::string(kMaxParamsBytes, 'y') + "\"}}";
  EXPECT_EQ(bad(big), "workload.command: line 1: params of " + std::to_string(kMaxParamsBytes + 8) +
                          " bytes, more than " + std::to_string(kMaxParamsBytes));
}

TEST(CheckSelections, ChecksEveryItem) {
  const auto r = CheckSelections({"a", "b", "a"}, "workload.items", 100);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.reason(), "workload.items: item 3: duplicate id 'a'");
}

}  // namespace
}  // namespace dcp::planning
