#include "compute/exec_computation.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <sstream>
#include <thread>

namespace dcp::compute {
namespace {

TaskMessage Task() {
  return TaskMessage{RunId::New(), TaskId::New(), "S1-F1", *ParseLocalMinute("2024-01-01 00:00"),
                     *ParseLocalMinute("2024-01-01 23:59")};
}

Result<std::string> RunCommand(std::string command,
                               std::chrono::seconds timeout = std::chrono::seconds(30)) {
  ExecComputation exec(ExecSettings{.command = std::move(command), .timeout = timeout});
  return exec.Compute(Task(), RunContext{"UTC", "{}"}, 1);
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
  ExecComputation exec(ExecSettings{.command = "yes 0123456789", .max_output_bytes = 100'000});
  const auto r = exec.Compute(Task(), RunContext{"UTC", "{}"}, 1);  // `yes` never ends by itself
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.permanent());
  EXPECT_NE(r.reason().find("more than 100000 bytes on stdout"), std::string::npos) << r.reason();
}

TEST(ExecComputation, AbandonKillsTheRunningCommandsAndTheirChildren) {
  ExecComputation exec(
      ExecSettings{.command = "sleep 30 & wait", .timeout = std::chrono::seconds(60)});
  Result<std::string> r = Error{""};
  std::atomic<bool> returned{false};
  std::thread computing([&] {
    r = exec.Compute(Task(), RunContext{"UTC", "{}"}, 1);
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

// Issue 12's box: `--exec env` used to print the worker's database and
// broker URLs, passwords included, and the command inherited its sockets.
TEST(ExecComputation, TheCommandSeesItsTasksVariablesAndNoneOfTheWorkersSecrets) {
  setenv("DCP_MYSQL_URL", "mysql://dcp:s3cret@db:3306/dcp", 1);
  setenv("TEAM_TOKEN", "t0ken", 1);
  const TaskMessage task = Task();
  ExecSettings settings{.command = "env"};
  const auto plain = ExecComputation(settings).Compute(task, RunContext{"Europe/Oslo", "{}"}, 2);
  ASSERT_TRUE(plain.ok()) << plain.reason();
  const std::string& env = plain.value();
  EXPECT_NE(env.find("DCP_TASK_ID=" + task.task_id.ToString() + "\n"), std::string::npos) << env;
  EXPECT_NE(env.find("DCP_RUN_ID=" + task.run_id.ToString() + "\n"), std::string::npos) << env;
  EXPECT_NE(env.find("DCP_SELECTION=S1-F1\n"), std::string::npos) << env;
  EXPECT_NE(env.find("DCP_START_DATE=2024-01-01 00:00\n"), std::string::npos) << env;
  EXPECT_NE(env.find("DCP_TZ=Europe/Oslo\n"), std::string::npos) << env;
  EXPECT_NE(env.find("DCP_ATTEMPT=2\n"), std::string::npos) << env;
  EXPECT_NE(env.find("PATH="), std::string::npos) << env;
  EXPECT_EQ(env.find("s3cret"), std::string::npos) << env;
  EXPECT_EQ(env.find("TEAM_TOKEN"), std::string::npos) << env;
  settings.pass_env = {"TEAM_TOKEN", "DCP_MYSQL_URL"};  // a DCP_ name is never passed
  const auto passed = ExecComputation(settings).Compute(task, RunContext{"UTC", "{}"}, 1);
  ASSERT_TRUE(passed.ok()) << passed.reason();
  EXPECT_NE(passed.value().find("TEAM_TOKEN=t0ken\n"), std::string::npos) << passed.value();
  EXPECT_EQ(passed.value().find("s3cret"), std::string::npos) << passed.value();
  unsetenv("DCP_MYSQL_URL");
  unsetenv("TEAM_TOKEN");
}

TEST(ExecComputation, TheCommandInheritsOnlyItsStandardDescriptors) {
  const int open_here = open("/dev/null", O_RDONLY);  // not close-on-exec, like a leaky library's
  ASSERT_GE(open_here, 3);
  const std::string fd = std::to_string(open_here);
  const auto r = RunCommand("[ -e /proc/$$/fd/" + fd + " ] && echo inherited || echo closed; " +
                            "[ -e /proc/$$/fd/2 ] && echo stderr");
  close(open_here);
  ASSERT_TRUE(r.ok()) << r.reason();
  EXPECT_EQ(r.value(), "closed\nstderr\n");
}

TEST(ExecComputation, TheCommandStartsWithDefaultSignals) {
  // The worker ignores SIGPIPE; a pipeline in the command must not.
  // grep's own masks (awk would not do: mawk ignores SIGPIPE itself).
  const auto r = RunCommand("exec grep -E '^Sig(Blk|Ign)' /proc/self/status");
  ASSERT_TRUE(r.ok()) << r.reason();
  const std::string& masks = r.value();  // "SigBlk:\t<hex>\nSigIgn:\t<hex>\n"
  ASSERT_EQ(masks.size(), 50U) << masks;
  EXPECT_EQ(std::stoull(masks.substr(8, 16), nullptr, 16), 0U) << masks;
  EXPECT_EQ(std::stoull(masks.substr(33, 16), nullptr, 16) & (1ULL << (SIGPIPE - 1)), 0U) << masks;
}

// A command that forks and leaves (in its group, or after setsid) leaves
// nothing running, and no zombie, once it ends.
TEST(ExecComputation, ACommandLeavesNothingRunningWhenItEnds) {
  const auto r = RunCommand("sleep 30 & in_group=$!; setsid sleep 30 & echo $in_group $!");
  ASSERT_TRUE(r.ok()) << r.reason();
  std::istringstream pids(r.value());
  pid_t in_group = 0, left = 0;
  ASSERT_TRUE(pids >> in_group >> left) << r.value();
  // Gone and reaped: a zombie would still answer.
  EXPECT_EQ(kill(in_group, 0), -1);
  EXPECT_EQ(errno, ESRCH);
  EXPECT_EQ(kill(left, 0), -1);
  EXPECT_EQ(errno, ESRCH);
}

TEST(ExecComputation, AMemoryLimitFailsTheCommandThatGoesPastIt) {
  // 100 MB in one string: fine without a limit, refused under 64 MiB.
  const std::string big = "awk 'BEGIN { s = sprintf(\"%100000000s\", \"\"); print length(s) }'";
  ExecComputation unlimited(ExecSettings{.command = big});
  const auto fits = unlimited.Compute(Task(), RunContext{"UTC", "{}"}, 1);
  ASSERT_TRUE(fits.ok()) << fits.reason();
  EXPECT_EQ(fits.value(), "100000000\n");
  ExecComputation limited(ExecSettings{.command = big, .memory_limit = std::size_t{64} << 20});
  const auto refused = limited.Compute(Task(), RunContext{"UTC", "{}"}, 1);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.reason().find("exec: exit"), std::string::npos) << refused.reason();
}

TEST(ExecComputation, AnArgvCommandRunsWithoutAShellInItsDirectory) {
  ExecComputation exec(ExecSettings{.argv = {"/bin/pwd"}, .directory = "/usr"});
  const auto r = exec.Compute(Task(), RunContext{"UTC", "{}"}, 1);
  ASSERT_TRUE(r.ok()) << r.reason();
  EXPECT_EQ(r.value(), "/usr\n");
}

// The run's topology reaches the command as a read-only file, written once
// per run; the task has a scratch directory of its own, gone afterwards.
TEST(ExecComputation, TheTopologyIsAReadOnlyFileAndTheTaskHasAWorkDirectory) {
  const std::string work = ::testing::TempDir() + "/exec-work";
  ExecComputation exec(
      ExecSettings{.command = "cat \"$DCP_TOPOLOGY_FILE\"; stat -c %a \"$DCP_TOPOLOGY_FILE\"; "
                              "echo scratch > \"$DCP_WORK_DIR/x\" && echo \"$DCP_WORK_DIR\"",
                   .work_dir = work});
  RunContext run{"UTC", std::string("T\0P\n", 4)};
  run.job_name = "forecast";
  const TaskMessage task = Task();
  const auto first = exec.Compute(task, run, 1);
  ASSERT_TRUE(first.ok()) << first.reason();
  const std::string dir = work + "/tasks/" + task.task_id.ToString() + ".1";
  EXPECT_EQ(first.value(), std::string("T\0P\n", 4) + "444\n" + dir + "\n");
  EXPECT_FALSE(std::filesystem::exists(dir));  // removed after the task
  // Written once: a later task of the run reads the same file.
  run.topology = "changed";
  const auto second = exec.Compute(task, run, 2);
  ASSERT_TRUE(second.ok()) << second.reason();
  EXPECT_TRUE(second.value().starts_with(std::string("T\0P\n", 4))) << second.value();
  std::filesystem::remove_all(work);
}

TEST(ExecComputation, CommandIgnoringStdinStillWorks) {
  const auto r = RunCommand("head -c 100000 /dev/zero | tr '\\0' x");
  ASSERT_TRUE(r.ok()) << r.reason();
  EXPECT_EQ(r.value().size(), 100000u);
}

}  // namespace
}  // namespace dcp::compute

namespace dcp::compute {
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
}  // namespace dcp::compute
