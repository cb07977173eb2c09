// The box itself is tested through the exec computation
// (tests/unit/compute/exec_computation_test.cpp); these are what the other
// steps rely on: argv lists, a working directory, input, the descriptions.
#include "process/command_runner.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

namespace dcp::process {
namespace {

CommandSpec Spec(std::vector<std::string> argv) {
  CommandSpec spec;
  spec.argv = std::move(argv);
  spec.environment = {"PATH=/usr/bin:/bin"};
  spec.timeout = std::chrono::seconds(30);
  return spec;
}

TEST(RunCommand, RunsAnArgvListAsItIsWithoutAShell) {
  const auto outcome = RunCommand(Spec({"printf", "[%s]", "a b", "$HOME", "*"}));
  ASSERT_TRUE(outcome.ok()) << Describe(outcome, Spec({"printf"}));
  EXPECT_EQ(outcome.out, "[a b][$HOME][*]");
}

TEST(RunCommand, RunsInTheGivenDirectoryWithTheGivenInput) {
  CommandSpec spec = Spec({"/bin/sh", "-c", "pwd; cat"});
  spec.directory = std::filesystem::temp_directory_path().string();
  spec.input = "line 1\nline 2\n";
  const auto outcome = RunCommand(spec);
  ASSERT_TRUE(outcome.ok()) << Describe(outcome, spec);
  EXPECT_EQ(outcome.out, spec.directory + "\nline 1\nline 2\n");
}

TEST(RunCommand, TheEnvironmentIsExactlyTheGivenOne) {
  setenv("SECRET_OF_THE_CALLER", "x", 1);
  CommandSpec spec = Spec({"/usr/bin/env"});
  spec.environment = {"A=1"};
  const auto outcome = RunCommand(spec);
  unsetenv("SECRET_OF_THE_CALLER");
  ASSERT_TRUE(outcome.ok()) << Describe(outcome, spec);
  EXPECT_EQ(outcome.out, "A=1\n");
}

TEST(RunCommand, AProgramThatIsNotThereDoesNotStart) {
  const CommandSpec spec = Spec({"/nonexistent/program"});
  const auto outcome = RunCommand(spec);
  EXPECT_EQ(outcome.end, CommandOutcome::End::kNotStarted);
  EXPECT_EQ(Describe(outcome, spec),
            "could not start /nonexistent/program: No such file or directory");
}

TEST(RunCommand, DescribesEachEnd) {
  CommandSpec spec = Spec({"/bin/sh", "-c", "echo 'line one' >&2; echo 'line two' >&2; exit 7"});
  EXPECT_EQ(Describe(RunCommand(spec), spec), "exit 7: line one line two");
  spec.argv = {"/bin/sh", "-c", "kill -TERM $$"};
  EXPECT_EQ(Describe(RunCommand(spec), spec), "killed by signal 15: ");
  spec.argv = {"sleep", "30"};
  spec.timeout = std::chrono::milliseconds(200);
  EXPECT_EQ(Describe(RunCommand(spec), spec), "timed out after 200 ms");
  spec.argv = {"yes"};
  spec.timeout = std::chrono::seconds(30);
  spec.max_stdout = 1000;
  const auto too_much = RunCommand(spec);
  EXPECT_EQ(Describe(too_much, spec), "more than 1000 bytes on stdout");
  EXPECT_EQ(too_much.out.size(), 1000U);
}

// The descriptor numbers a command's pidfd gets are those other threads have
// just closed (a broker socket, a pipe): commands run beside a thread whose
// pipes come and go, and each command's outcome stays right. Under clang 14's
// ThreadSanitizer the worker of e2e.outage was once killed at such a close,
// by a CHECK failure of the sanitizer itself while it described a race on
// the descriptor (fixed in later clang versions; the tsan preset uses 16).
TEST(RunCommand, APidfdIsNotMistakenForAnotherThreadsDescriptor) {
  std::atomic<bool> stop{false};
  std::thread other([&stop] {
    while (!stop.load()) {
      int fds[2];
      if (pipe(fds) != 0) continue;
      const char byte = 'x';
      EXPECT_EQ(write(fds[1], &byte, 1), 1);
      close(fds[0]);
      close(fds[1]);
    }
  });
  for (int i = 0; i < 100; ++i) {
    const auto outcome = RunCommand(Spec({"true"}));
    EXPECT_TRUE(outcome.ok()) << Describe(outcome, Spec({"true"}));
  }
  stop = true;
  other.join();
}

TEST(BoxEnvironment, KeepsItsOwnThenTheBaseAndPassedNamesNeverDcps) {
  const char* environment[] = {
      "PATH=/bin", "DCP_MYSQL_URL=mysql://u:p@h/d", "TEAM=a", "OTHER=b", "DCP_X=1", "broken",
      nullptr};
  std::vector<std::string> expected = {"DCP_JOB=j", "PATH=/bin", "TEAM=a"};
  if (!HelperDirectory().empty()) expected.push_back("PYTHONPATH=" + HelperDirectory());
  EXPECT_EQ(BoxEnvironment({"DCP_JOB=j"}, {"TEAM", "DCP_MYSQL_URL"}, environment), expected);
}

TEST(BoxEnvironment, DcpsHelpersComeFirstOnAPassedPythonPath) {
  ASSERT_FALSE(HelperDirectory().empty()) << "share/dcp/python beside bin/ in the build tree";
  EXPECT_TRUE(std::filesystem::exists(HelperDirectory() + "/dcp_task.py"));
  const char* environment[] = {"PYTHONPATH=/team/lib", nullptr};
  EXPECT_EQ(BoxEnvironment({}, {"PYTHONPATH"}, environment),
            (std::vector<std::string>{"PYTHONPATH=" + HelperDirectory() + ":/team/lib"}));
}

TEST(ScratchDirectory, MadeEmptyAndRemovedWithWhatTheCommandLeft) {
  namespace fs = std::filesystem;
  const fs::path root = fs::path(::testing::TempDir()) / "scratch_test";
  fs::remove_all(root);
  const fs::path path = root / "tasks" / "t.1";
  {
    ScratchDirectory fresh(path.string());  // its parents made too
    ASSERT_EQ(fresh.path(), path.string());
    EXPECT_TRUE(fs::is_directory(path));
  }
  EXPECT_FALSE(fs::exists(path)) << "an empty one is removed";
  fs::create_directories(path / "left");
  std::ofstream(path / "left" / "by a crash") << "x";
  {
    ScratchDirectory again(path.string());
    ASSERT_EQ(again.path(), path.string());
    EXPECT_TRUE(fs::is_empty(path)) << "a crashed attempt's files are removed first";
    std::ofstream(path / "output") << "y";
  }
  EXPECT_FALSE(fs::exists(path)) << "removed with the command's files";
  std::ofstream(root / "a file") << "z";
  EXPECT_TRUE(ScratchDirectory((root / "a file" / "t.1").string()).path().empty())
      << "a path that cannot be made";
  fs::remove_all(root);
}

}  // namespace
}  // namespace dcp::process
