#include "worker/exec_computation.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <cerrno>
#include <thread>

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

TEST(ExecComputation, OutputOverTheLimitIsAPermanentFailureAndTheCommandIsKilled) {
  ExecComputation exec(ExecSettings{"yes 0123456789", std::chrono::seconds(30), 100'000});
  const auto r = exec.Compute(Task(), RunContext{"UTC", "{}"});  // `yes` never ends by itself
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.permanent());
  EXPECT_NE(r.reason().find("more than 100000 bytes on stdout"), std::string::npos) << r.reason();
}

TEST(ExecComputation, AbandonKillsTheRunningCommandsAndTheirChildren) {
  ExecComputation exec(ExecSettings{"sleep 30 & wait", std::chrono::seconds(60)});
  Result<std::string> r = Error{""};
  std::atomic<bool> returned{false};
  std::thread computing([&] {
    r = exec.Compute(Task(), RunContext{"UTC", "{}"});
    returned = true;
  });
  // Abandon until Compute returns: the first calls may come before the
  // child is spawned. Without the kill it would return after 30 s.
  const auto began = std::chrono::steady_clock::now();
  while (!returned) {
    exec.Abandon();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  computing.join();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.reason().find("killed by signal 9"), std::string::npos) << r.reason();
  EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(20));
}

TEST(ExecComputation, TheTimeoutHoldsForACommandThatClosedItsOutput) {
  const auto r = RunCommand("exec >&- 2>&-; sleep 30", std::chrono::seconds(1));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.reason().find("timed out"), std::string::npos) << r.reason();
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
