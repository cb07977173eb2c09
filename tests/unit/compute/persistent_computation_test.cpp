#include "compute/persistent_computation.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace dcp::compute {
namespace {

using Health = Computation::Health;

TaskMessage Task() {
  return TaskMessage{RunId::New(), TaskId::New(), "S1", *ParseLocalMinute("2024-01-01 00:00"),
                     *ParseLocalMinute("2024-02-01 00:00")};
}

const RunContext kRun{"UTC", "{}"};

// A program in sh: says ready, then runs `answer` per request line ($line;
// $id holds its task id), which writes the response on descriptor 4.
std::string Program(const std::string& answer, const std::string& start = "") {
  return start + "echo '{\"ready\": true}' >&4\n" +
         "while read -r line <&3; do\n"
         "  id=$(printf '%s' \"$line\" | sed 's/.*\"task_id\":\"\\([^\"]*\\)\".*/\\1/')\n" +
         answer + "\ndone\n";
}

// Answers its pid as the result: which process computed.
const std::string kAnswerPid = R"(printf '{"task_id":"%s","result":"%s"}\n' "$id" "$$" >&4)";

ExecSettings Persistent(std::string program, int tries = 1) {
  ExecSettings s{.command = std::move(program), .timeout = std::chrono::seconds(20)};
  s.persistent.enabled = true;
  s.persistent.startup_timeout = std::chrono::seconds(5);
  s.persistent.startup_tries = tries;
  return s;
}

TEST(PersistentComputation, OneProcessAnswersTaskAfterTask) {
  PersistentComputation c(Persistent(Program(kAnswerPid)));
  ASSERT_TRUE(c.Prepare(1).ok());
  const auto first = c.Compute(Task(), kRun, 1);
  const auto second = c.Compute(Task(), kRun, 1);
  ASSERT_TRUE(first.ok()) << first.reason();
  ASSERT_TRUE(second.ok()) << second.reason();
  EXPECT_EQ(first.value(), second.value());
  EXPECT_EQ(c.health(), Health::kReady);
}

TEST(PersistentComputation, TheRequestCarriesTheTaskAttemptTopologyAndZone) {
  const std::string echo_request =
      R"sh(printf '{"task_id":"%s","result":"%s"}\n' "$id" "$(printf '%s' "$line" | sed 's/"/~/g')" >&4)sh";
  PersistentComputation c(Persistent(Program(echo_request)));
  TaskMessage task = Task();
  const auto r = c.Compute(task, RunContext{"Europe/Paris", "{}"}, 3);
  ASSERT_TRUE(r.ok()) << r.reason();
  EXPECT_NE(r->find("{~protocol~:1,~task~:{"), std::string::npos) << *r;
  EXPECT_NE(r->find("~task_id~:~" + task.task_id.ToString() + "~"), std::string::npos) << *r;
  EXPECT_NE(r->find("~attempt~:3"), std::string::npos) << *r;
  EXPECT_NE(r->find("~tz~:~Europe/Paris~"), std::string::npos) << *r;
  EXPECT_EQ(r->find("~topology_file~:"), std::string::npos) << *r;  // no work directory here
}

TEST(PersistentComputation, TheBoxHasTheProtocolVersionAndNoSecretsOrStdin) {
  setenv("DCP_MYSQL_URL", "mysql://u:secret@h/db", 1);
  const std::string answer =
      R"sh(printf '{"task_id":"%s","result":"%s %s %s"}\n' "$id" "$DCP_PROTOCOL" "${DCP_MYSQL_URL:-none}" "$(cat <&0 | wc -c)" >&4)sh";
  PersistentComputation c(Persistent(Program(answer)));
  const auto r = c.Compute(Task(), kRun, 1);
  unsetenv("DCP_MYSQL_URL");
  ASSERT_TRUE(r.ok()) << r.reason();
  EXPECT_EQ(r.value(), "1 none 0");
}

TEST(PersistentComputation, AnErrorResponseFailsTheTaskRetryableOrNot) {
  PersistentComputation c(Persistent(Program(
      R"(case "$line" in *'"attempt":1'*) r=true;; *) r=false;; esac
printf '{"task_id":"%s","error":"no data","retryable":%s}\n' "$id" "$r" >&4)")));
  const auto retryable = c.Compute(Task(), kRun, 1);
  const auto permanent = c.Compute(Task(), kRun, 2);
  ASSERT_FALSE(retryable.ok());
  EXPECT_EQ(retryable.reason(), "program: no data");
  EXPECT_FALSE(retryable.permanent());
  ASSERT_FALSE(permanent.ok());
  EXPECT_TRUE(permanent.permanent());
}

TEST(PersistentComputation, NeverReadyFailsPrepareAfterItsTries) {
  ExecSettings s = Persistent("exec sleep 30", /*tries=*/2);
  s.persistent.startup_timeout = std::chrono::seconds(1);
  PersistentComputation c(s);
  const auto r = c.Prepare(1);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.reason().find("did not start in 2 tries"), std::string::npos) << r.reason();
  EXPECT_NE(r.reason().find("not ready within 1 s"), std::string::npos) << r.reason();
  EXPECT_EQ(c.health(), Health::kBroken);
  const auto task = c.Compute(Task(), kRun, 1);  // broken: fails at once, retryable
  ASSERT_FALSE(task.ok());
  EXPECT_FALSE(task.permanent());
}

TEST(PersistentComputation, ExitingAtStartUpIsReportedWithItsStderr) {
  PersistentComputation c(Persistent("echo 'ModuleNotFoundError: numpy' >&2; exit 3"));
  const auto r = c.Prepare(2);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.reason().find("ended at start-up: exit 3: ModuleNotFoundError: numpy"),
            std::string::npos)
      << r.reason();
}

TEST(PersistentComputation, AnotherProtocolVersionIsRefused) {
  PersistentComputation c(Persistent("echo '{\"ready\": true, \"protocol\": 2}' >&4; sleep 30"));
  const auto r = c.Prepare(1);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.reason().find("speaks protocol 2"), std::string::npos) << r.reason();
}

// Each broken answer fails its task as retryable, and the next task gets a
// fresh process (another pid) that answers it.
void ExpectReplacedAfter(const std::string& bad_answer, const std::string& expected_error,
                         std::chrono::seconds timeout = std::chrono::seconds(20),
                         std::size_t max_result = 4u << 20) {
  ExecSettings s =
      Persistent(Program("if [ -e \"$DCP_WORK_DIR/../bad-done\" ]; then " + kAnswerPid +
                         "; else touch \"$DCP_WORK_DIR/../bad-done\"; " + bad_answer + "; fi"));
  s.timeout = timeout;
  s.max_output_bytes = max_result;
  const auto dir = std::filesystem::temp_directory_path() /
                   ("dcp-persistent-" + std::to_string(getpid()) + "-" +
                    std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  s.work_dir = dir.string();
  PersistentComputation c(s);
  const auto failed = c.Compute(Task(), kRun, 1);
  ASSERT_FALSE(failed.ok());
  EXPECT_FALSE(failed.permanent());
  EXPECT_NE(failed.reason().find(expected_error), std::string::npos) << failed.reason();
  const auto next = c.Compute(Task(), kRun, 1);
  ASSERT_TRUE(next.ok()) << next.reason();
  std::filesystem::remove_all(dir);
}

TEST(PersistentComputation, GarbageOnDescriptor4) {
  ExpectReplacedAfter("echo 'Traceback (most recent call last):' >&4", "not a JSON object");
}

TEST(PersistentComputation, AnAnswerForAnotherTask) {
  ExpectReplacedAfter(R"(printf '{"task_id":"%s","result":"x"}\n' "nope" >&4)",
                      "answered for task nope when asked for");
}

TEST(PersistentComputation, ALineOverTheLimit) {
  // The limit: twice the result limit (1,000 bytes here) and 64 KiB.
  ExpectReplacedAfter("head -c 300000 /dev/zero | tr '\\0' a >&4", "a line over 67536 bytes",
                      std::chrono::seconds(20), 1000);
}

TEST(PersistentComputation, AHang) {
  ExpectReplacedAfter("sleep 30", "timed out after 1 s", std::chrono::seconds(1));
}

TEST(PersistentComputation, ACrashWithItsStderr) {
  ExpectReplacedAfter("echo 'segfault in libfoo' >&2; kill -9 $$",
                      "ended while computing the task: killed by signal 9: segfault in libfoo");
}

TEST(PersistentComputation, AnAnswerTwiceGetsTheProcessReplacedBeforeTheNextTask) {
  ExecSettings s = Persistent(Program(kAnswerPid + "; " + kAnswerPid));
  PersistentComputation c(s);
  const auto first = c.Compute(Task(), kRun, 1);
  const auto second = c.Compute(Task(), kRun, 1);
  ASSERT_TRUE(first.ok()) << first.reason();
  ASSERT_TRUE(second.ok()) << second.reason();  // not failed by the stale answer
  EXPECT_NE(first.value(), second.value());     // another process
}

TEST(PersistentComputation, MuchOutputOnStdoutAndStderrDoesNotBlockOrLeakIntoTheProtocol) {
  PersistentComputation c(Persistent(
      Program("head -c 1000000 /dev/zero | tr '\\0' o; head -c 1000000 /dev/zero | tr '\\0' e "
              ">&2; " +
              kAnswerPid)));
  for (int i = 0; i < 3; ++i) {
    const auto r = c.Compute(Task(), kRun, 1);
    ASSERT_TRUE(r.ok()) << r.reason();
    EXPECT_EQ(r->find('o'), std::string::npos);
  }
}

TEST(PersistentComputation, RecycledAfterItsTasks) {
  ExecSettings s = Persistent(Program(kAnswerPid));
  s.persistent.recycle_tasks = 2;  // no jitter below 10
  PersistentComputation c(s);
  std::vector<std::string> pids(4);
  for (std::string& pid : pids) pid = c.Compute(Task(), kRun, 1).value();
  EXPECT_EQ(pids[0], pids[1]);
  EXPECT_NE(pids[1], pids[2]);
  EXPECT_EQ(pids[2], pids[3]);
}

TEST(PersistentComputation, RecycledWhenTheRunChangesIfAsked) {
  ExecSettings s = Persistent(Program(kAnswerPid));
  s.persistent.recycle_per_run = true;
  PersistentComputation c(s);
  const TaskMessage a = Task();
  TaskMessage a2 = Task();
  a2.run_id = a.run_id;
  const std::string first = c.Compute(a, kRun, 1).value();
  EXPECT_EQ(c.Compute(a2, kRun, 1).value(), first);
  EXPECT_NE(c.Compute(Task(), kRun, 1).value(), first);
}

TEST(PersistentComputation, RecycledAboveItsMemoryLimit) {
  // Each task keeps 20 MB more and answers its pid and resident bytes: the
  // first task that leaves it above 60 MiB is its process's last.
  const std::string program = R"(exec python3 -c '
import json, os
kept = []
os.write(4, b"{\"ready\": true}\n")
for line in os.fdopen(3):
    kept.append(b"\x01" * (20 << 20))
    rss = int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    reply = {"task_id": json.loads(line)["task"]["task_id"], "result": f"{os.getpid()} {rss}"}
    os.write(4, (json.dumps(reply) + "\n").encode())
')";
  ExecSettings s = Persistent(program);
  s.persistent.recycle_memory = 60u << 20;
  PersistentComputation c(s);
  std::vector<std::pair<long, std::size_t>> answers;  // pid, resident bytes
  for (int i = 0; i < 6; ++i) {
    const auto r = c.Compute(Task(), kRun, 1);
    ASSERT_TRUE(r.ok()) << r.reason();
    std::istringstream in(*r);
    long pid = 0;
    std::size_t rss = 0;
    in >> pid >> rss;
    answers.emplace_back(pid, rss);
  }
  int recycled = 0;
  for (std::size_t i = 0; i + 1 < answers.size(); ++i) {
    const bool over = answers[i].second > s.persistent.recycle_memory;
    EXPECT_EQ(answers[i].first != answers[i + 1].first, over) << "after task " << i + 1;
    recycled += over ? 1 : 0;
  }
  EXPECT_GE(recycled, 1);
}

TEST(PersistentComputation, WhatTheProgramLeftRunningDiesWithIt) {
  // Its child writes its pid, then the program crashes.
  ExecSettings s =
      Persistent(Program("sleep 300 & echo $! > \"$DCP_WORK_DIR/../child\"; kill -9 $$"));
  const auto dir =
      std::filesystem::temp_directory_path() / ("dcp-persistent-child-" + std::to_string(getpid()));
  s.work_dir = dir.string();
  PersistentComputation c(s);
  ASSERT_FALSE(c.Compute(Task(), kRun, 1).ok());
  std::ifstream file(dir / "persistent" / "child");
  pid_t child = 0;
  ASSERT_TRUE(file >> child);
  EXPECT_NE(kill(child, 0), 0);  // killed and reaped
  std::filesystem::remove_all(dir);
}

TEST(PersistentComputation, AbandonEndsTheRunningTaskAndLaterStarts) {
  ExecSettings s = Persistent(Program("sleep 30"));
  s.timeout = std::chrono::seconds(60);
  PersistentComputation c(s);
  ASSERT_TRUE(c.Prepare(1).ok());
  Result<std::string> r = Error{""};
  std::atomic<bool> returned{false};
  std::thread computing([&] {
    r = c.Compute(Task(), kRun, 1);
    returned = true;
  });
  // Abandon until Compute returns: the first may come before the request.
  const auto began = std::chrono::steady_clock::now();
  while (!returned) {
    c.Abandon();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  computing.join();
  ASSERT_FALSE(r.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(20));
  const auto after = c.Compute(Task(), kRun, 1);  // no new process once abandoned
  ASSERT_FALSE(after.ok());
  EXPECT_NE(after.reason().find("stopping"), std::string::npos) << after.reason();
}

}  // namespace
}  // namespace dcp::compute
