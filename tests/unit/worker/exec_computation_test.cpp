#include "worker/exec_computation.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <cerrno>

namespace dcp::worker {
namespace {

TaskMessage Task() {
  return TaskMessage{RunId::New(), TaskId::New(), "S1-F1", *ParseLocalMinute("2024-01-01 00:00"),
                     *ParseLocalMinute("2024-01-01 23:59")};
}

Result<std::string> RunCommand(std::string command,
                               std::chrono::seconds timeout = std::chrono::seconds(30)) {
  ExecComputation exec(ExecSettings{std::move(command), timeout});
  return exec.Compute(Task(), RunContext{"UTC", "{}"});
}

TEST(ExecComputation, PassesTaskJsonOnStdinAndKeepsStdout) {
  const auto r = RunCommand("grep -o '\"selection\":\"[^\"]*\"'");
  ASSERT_TRUE(r.ok()) << r.reason();
  EXPECT_EQ(r.value(), "\"selection\":\"S1-F1\"\n");
}

TEST(ExecComputation, NonZeroExitIsAFailureWithStderr) {
  const auto r = RunCommand("echo 'no such feeder' >&2; exit 3");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.reason(), "exec: exit 3: no such feeder");
}

TEST(ExecComputation, KillsCommandAfterTimeout) {
  const auto r = RunCommand("exec sleep 30", std::chrono::seconds(1));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.reason().find("timed out"), std::string::npos);
}

TEST(ExecComputation, CommandIgnoringStdinStillWorks) {
  const auto r = RunCommand("head -c 100000 /dev/zero | tr '\\0' x");
  ASSERT_TRUE(r.ok()) << r.reason();
  EXPECT_EQ(r.value().size(), 100000u);
}

}  // namespace
}  // namespace dcp::worker

namespace dcp::worker {
namespace {

// Something else in the process reaping children (as libev's default loop
// does on SIGCHLD) must never turn a failing command into a success.
TEST(ExecComputation, FailureStaysAFailureWhenAnotherHandlerReapsChildren) {
  struct sigaction reaper {};
  reaper.sa_handler = [](int) {
    const int saved = errno;  // a handler must leave errno as it found it
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    errno = saved;
  };
  struct sigaction previous {};
  ASSERT_EQ(sigaction(SIGCHLD, &reaper, &previous), 0);
  for (int i = 0; i < 50; ++i) EXPECT_FALSE(RunCommand("exit 3").ok()) << "iteration " << i;
  sigaction(SIGCHLD, &previous, nullptr);
}

}  // namespace
}  // namespace dcp::worker
