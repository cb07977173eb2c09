#include "cli/dead_letters.hpp"

#include <gtest/gtest.h>

#include "cli/tables.hpp"

namespace dcp::cli {
namespace {

const RunId kRun = *RunId::Parse("0190f2a4-7c1e-7a3b-9d2e-1f2a3b4c5d6e");
const TaskId kTask = *TaskId::Parse("0190f2a4-7c1e-7a3b-9d2e-1f2a3b4c5d6f");

amqp::Delivery Letter(std::string body, amqp::Headers headers) {
  amqp::Delivery d;
  d.ref.tag = 7;
  d.body = std::move(body);
  d.headers = std::move(headers);
  return d;
}

std::string TaskBody() {
  return R"({"run_id":")" + kRun.ToString() + R"(","task_id":")" + kTask.ToString() +
         R"(","selection":"S1-F1","start_date":"2024-01-01 00:00","end_date":"2024-01-31 23:59"})";
}

DeadLetter WithRow(TaskStatus status, std::optional<std::int64_t> seq = 1) {
  DeadLetter letter = ReadDeadLetter(Letter(TaskBody(), {}));
  TaskView row;
  row.id = kTask;
  row.seq = seq;
  row.status = status;
  row.attempt = 3;
  letter.row = row;
  return letter;
}

RunSummary RunIn(RunStatus status) {
  RunSummary r;
  r.id = kRun;
  r.status = status;
  return r;
}

TEST(DeadLetters, ReadsTheTaskTheWorkersReasonAndItsDeliveries) {
  auto d = Letter(TaskBody(),
                  {{"x-dcp-reason", "gave up after 3 attempts"}, {"x-dcp-delivery-count", "2"}});
  d.dead_lettered_at = 1'700'000'000;
  const DeadLetter letter = ReadDeadLetter(d);
  ASSERT_TRUE(letter.task);
  EXPECT_EQ(letter.tag, 7u);
  EXPECT_EQ(letter.run, kRun);
  EXPECT_EQ(letter.task_id, kTask);
  EXPECT_EQ(letter.reason, "gave up after 3 attempts");
  EXPECT_EQ(letter.deliveries, 2);
  EXPECT_EQ(letter.dead_lettered_at->time_since_epoch().count(), 1'700'000'000);
  EXPECT_TRUE(letter.malformed.empty());
}

TEST(DeadLetters, AMalformedBodyKeepsWhatCanBeReadOfIt) {
  const DeadLetter letter = ReadDeadLetter(
      Letter(R"({"run_id":")" + kRun.ToString() + R"(","task_id":")" + kTask.ToString() + "\"}",
             {{"x-first-death-reason", "delivery_limit"}}));
  EXPECT_FALSE(letter.task);
  EXPECT_NE(letter.malformed.find("selection"), std::string::npos) << letter.malformed;
  EXPECT_EQ(letter.run, kRun);
  EXPECT_EQ(letter.task_id, kTask);
  EXPECT_EQ(letter.reason, "broker: delivery_limit");
  const DeadLetter garbage = ReadDeadLetter(Letter("not json", {}));
  EXPECT_FALSE(garbage.run || garbage.task_id);
  EXPECT_TRUE(InRun(garbage, std::nullopt));
  EXPECT_FALSE(InRun(garbage, kRun));
  EXPECT_TRUE(InRun(letter, kRun));
  EXPECT_FALSE(InRun(letter, RunId::New()));
}

TEST(DeadLetters, OnlyAFailedPlannedTaskOfARunningOrEndedRunIsReplayed) {
  struct Case {
    DeadLetter letter;
    std::optional<RunSummary> run;
    ReplayAction action;
    const char* note;
  };
  const Case cases[] = {
      {WithRow(TaskStatus::kFailed), RunIn(RunStatus::kFailed), ReplayAction::kReplay, "FAILED"},
      {WithRow(TaskStatus::kFailed), RunIn(RunStatus::kRunning), ReplayAction::kReplay, "FAILED"},
      {WithRow(TaskStatus::kFinished), RunIn(RunStatus::kFinished), ReplayAction::kDrop,
       "FINISHED"},
      {WithRow(TaskStatus::kQueued), RunIn(RunStatus::kRunning), ReplayAction::kDrop, "QUEUED"},
      {WithRow(TaskStatus::kStarted), RunIn(RunStatus::kRunning), ReplayAction::kDrop, "STARTED"},
      {WithRow(TaskStatus::kFailed), RunIn(RunStatus::kCancelled), ReplayAction::kKeep,
       "cancelled"},
      {WithRow(TaskStatus::kFailed), RunIn(RunStatus::kPublishing), ReplayAction::kKeep,
       "PUBLISHING"},
      {WithRow(TaskStatus::kFailed), std::nullopt, ReplayAction::kKeep, "not in the database"},
      {WithRow(TaskStatus::kFailed, std::nullopt), RunIn(RunStatus::kFailed), ReplayAction::kKeep,
       "another producer"},
      {ReadDeadLetter(Letter(TaskBody(), {})), RunIn(RunStatus::kFailed), ReplayAction::kKeep,
       "no row"},
      {ReadDeadLetter(Letter("{}", {})), RunIn(RunStatus::kFailed), ReplayAction::kKeep,
       "malformed"},
  };
  for (const auto& k : cases) {
    const ReplayDecision d = DecideReplay(k.letter, k.run);
    EXPECT_EQ(d.action, k.action) << d.note;
    EXPECT_NE(d.note.find(k.note), std::string::npos) << d.note;
  }
}

TEST(DeadLetters, TableShowsTheTaskItsRowAndTheReason) {
  DeadLetter ok = WithRow(TaskStatus::kFailed);
  ok.reason = "exit 3";
  ok.dead_lettered_at = SysSeconds(std::chrono::seconds(1'700'000'000));
  ok.deliveries = 2;
  DeadLetter bad = ReadDeadLetter(Letter("not json\x1b[2J", {{"x-dcp-reason", "not JSON"}}));
  const std::string text = DeadLettersTable({ok, bad});
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3);
  EXPECT_EQ(text.rfind("RUN", 0), 0u);
  for (const std::string& cell : {kRun.ToString() + "  " + kTask.ToString(), std::string("S1-F1  "),
                                  std::string("2024-01-01 00:00 .. 2024-01-31 23:59  FAILED (3)"),
                                  std::string("2023-11-14T22:13:20Z"), std::string("exit 3"),
                                  std::string("(malformed, 12 bytes)")}) {
    EXPECT_NE(text.find(cell), std::string::npos) << cell << "\n" << text;
  }
  EXPECT_EQ(text.find('\x1b'), std::string::npos) << "control characters are replaced";
}

TEST(DeadLetters, JsonHasOneObjectPerLetterWithNullsForTheUnknown) {
  const auto ok = DeadLetterJson(WithRow(TaskStatus::kFinished));
  EXPECT_EQ(ok.at("run_id"), kRun.ToString());
  EXPECT_EQ(ok.at("selection"), "S1-F1");
  EXPECT_EQ(ok.at("start"), "2024-01-01 00:00");
  EXPECT_EQ(ok.at("status"), "FINISHED");
  EXPECT_EQ(ok.at("attempt"), 3);
  EXPECT_TRUE(ok.at("malformed").is_null());
  EXPECT_TRUE(ok.at("dead_lettered_at").is_null());
  const auto bad = DeadLetterJson(ReadDeadLetter(Letter("[]", {})));
  EXPECT_TRUE(bad.at("run_id").is_null());
  EXPECT_TRUE(bad.at("status").is_null());
  EXPECT_EQ(bad.at("body_bytes"), 2);
  EXPECT_TRUE(bad.at("malformed").is_string());
}

}  // namespace
}  // namespace dcp::cli
