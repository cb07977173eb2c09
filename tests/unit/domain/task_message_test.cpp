#include "domain/task_message.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace dcp {
namespace {

constexpr const char* kRun = "c1ab55ca-27d5-40e7-9899-e475f906af1c";
constexpr const char* kTask = "0ce41899-a414-4920-9159-ccf223840634";

// The example of DESIGN.md, verbatim.
constexpr const char* kDesignExample = R"({"run_id": "c1ab55ca-27d5-40e7-9899-e475f906af1c",
 "task_id": "0ce41899-a414-4920-9159-ccf223840634",
 "selection": "1",
 "start_date": "2023-01-01 00:00",
 "end_date": "2023-01-31 23:59"})";

// A message with one field replaced by raw JSON (nullptr drops the field).
std::string With(const std::string& field, const char* raw_value) {
  const std::vector<std::pair<std::string, std::string>> fields = {
      {"run_id", std::string("\"") + kRun + "\""},
      {"task_id", std::string("\"") + kTask + "\""},
      {"selection", "\"1\""},
      {"start_date", "\"2023-01-01 00:00\""},
      {"end_date", "\"2023-01-31 23:59\""}};
  std::string body = "{";
  for (const auto& [name, value] : fields) {
    if (name == field && raw_value == nullptr) continue;
    if (body.size() > 1) body += ",";
    body += "\"" + name + "\":" + (name == field ? std::string(raw_value) : value);
  }
  return body + "}";
}

TEST(TaskMessage, AcceptsDesignExample) {
  const auto m = DecodeTaskMessage(kDesignExample);
  ASSERT_TRUE(m.ok()) << m.reason();
  EXPECT_EQ(m->run_id.ToString(), kRun);
  EXPECT_EQ(m->task_id.ToString(), kTask);
  EXPECT_EQ(m->selection, "1");
  EXPECT_EQ(FormatLocalMinute(m->start), "2023-01-01 00:00");
  EXPECT_EQ(FormatLocalMinute(m->end), "2023-01-31 23:59");
}

TEST(TaskMessage, IgnoresUnknownFields) {
  std::string body = With("", nullptr);
  body.insert(1, R"("v": 2, "extra": {"nested": [1, null]}, "compact": true, )");
  const auto m = DecodeTaskMessage(body);
  ASSERT_TRUE(m.ok()) << m.reason();
  EXPECT_EQ(m->selection, "1");
}

TEST(TaskMessage, AcceptsSingleMinuteWindowAndUppercaseUuid) {
  std::string body = With("end_date", "\"2023-01-01 00:00\"");
  EXPECT_TRUE(DecodeTaskMessage(body).ok());
  const auto m = DecodeTaskMessage(With("run_id", "\"C1AB55CA-27D5-40E7-9899-E475F906AF1C\""));
  ASSERT_TRUE(m.ok()) << m.reason();
  EXPECT_EQ(m->run_id.ToString(), kRun);
}

TEST(TaskMessage, EncodesCompactlyInV1FieldOrder) {
  const auto m = DecodeTaskMessage(kDesignExample);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(EncodeTaskMessage(*m), std::string(R"({"run_id":")") + kRun + R"(","task_id":")" +
                                       kTask +
                                       R"(","selection":"1","start_date":"2023-01-01 00:00",)"
                                       R"("end_date":"2023-01-31 23:59"})");
}

TEST(TaskMessage, RoundTrips) {
  const TaskMessage original{RunId::New(), TaskId::New(), "zone \"7\" \\ é",
                             ParseLocalMinute("2024-02-29 06:00").value(),
                             ParseLocalMinute("2024-02-29 11:59").value()};
  const auto decoded = DecodeTaskMessage(EncodeTaskMessage(original));
  ASSERT_TRUE(decoded.ok()) << decoded.reason();
  EXPECT_EQ(decoded->run_id, original.run_id);
  EXPECT_EQ(decoded->task_id, original.task_id);
  EXPECT_EQ(decoded->selection, original.selection);
  EXPECT_EQ(decoded->start, original.start);
  EXPECT_EQ(decoded->end, original.end);
}

TEST(TaskMessage, CarriesParamsAsTheLastFieldAndChecksThem) {
  TaskMessage original{RunId::New(),
                       TaskId::New(),
                       "s",
                       ParseLocalMinute("2024-02-29 06:00").value(),
                       ParseLocalMinute("2024-02-29 11:59").value(),
                       R"({"k":[1,"two"]})"};
  const std::string body = EncodeTaskMessage(original);
  EXPECT_TRUE(body.ends_with(R"("end_date":"2024-02-29 11:59","params":{"k":[1,"two"]}})")) << body;
  const auto decoded = DecodeTaskMessage(body);
  ASSERT_TRUE(decoded.ok()) << decoded.reason();
  EXPECT_EQ(decoded->params, original.params);
  original.params.clear();
  EXPECT_EQ(EncodeTaskMessage(original).find("params"), std::string::npos);
  const std::string head = R"({"run_id":")" + std::string(kRun) + R"(","task_id":")" + kTask +
                           R"(","selection":"1","start_date":"2023-01-01 00:00","end_date":)"
                           R"("2023-01-31 23:59","params":)";
  EXPECT_EQ(DecodeTaskMessage(head + "[1]}").reason(), "field 'params': not a JSON object");
  EXPECT_EQ(
      DecodeTaskMessage(head + R"({"x":")" + std::string(kMaxParamsBytes, 'y') + "\"}}").reason(),
      "field 'params': larger than " + std::to_string(kMaxParamsBytes) + " bytes");
  EXPECT_TRUE(DecodeTaskMessage(head + "null}")->params.empty());
}

TEST(TaskMessage, RejectsMalformedBodies) {
  struct Case {
    std::string name;
    std::string body;
    std::string reason_mentions;
  };
  const std::string long_selection = "\"" + std::string(kMaxSelectionBytes + 1, 'x') + "\"";
  const std::string too_big =
      With("", nullptr).insert(1, "\"pad\":\"" + std::string(kMaxMessageBytes, ' ') + "\",");
  const std::vector<Case> cases = {
      {"empty body", "", "body"},
      {"too large", too_big, "body"},
      {"not json", "run_id=1", "body"},
      {"truncated json", With("", nullptr).substr(0, 40), "body"},
      {"array", "[1,2]", "body"},
      {"string", "\"hello\"", "body"},
      {"null", "null", "body"},
      {"missing run_id", With("run_id", nullptr), "run_id"},
      {"missing task_id", With("task_id", nullptr), "task_id"},
      {"missing selection", With("selection", nullptr), "selection"},
      {"missing start_date", With("start_date", nullptr), "start_date"},
      {"missing end_date", With("end_date", nullptr), "end_date"},
      {"run_id not string", With("run_id", "42"), "run_id"},
      {"task_id null", With("task_id", "null"), "task_id"},
      {"selection number", With("selection", "1"), "selection"},
      {"start_date object", With("start_date", "{}"), "start_date"},
      {"end_date array", With("end_date", "[\"2023-01-31 23:59\"]"), "end_date"},
      {"run_id not uuid", With("run_id", "\"run-1\""), "run_id"},
      {"task_id braces", With("task_id", "\"{0ce41899-a414-4920-9159-ccf223840634}\""), "task_id"},
      {"start_date iso T", With("start_date", "\"2023-01-01T00:00\""), "start_date"},
      {"start_date no time", With("start_date", "\"2023-01-01\""), "start_date"},
      {"end_date feb 30", With("end_date", "\"2023-02-30 00:00\""), "end_date"},
      {"end_date seconds", With("end_date", "\"2023-01-31 23:59:59\""), "end_date"},
      {"end before start", With("end_date", "\"2022-12-31 23:59\""), "end before start"},
      {"empty selection", With("selection", "\"\""), "selection"},
      {"selection too long", With("selection", long_selection.c_str()), "selection"},
      {"selection newline", With("selection", "\"a\\nb\""), "selection"},
      {"selection nul", With("selection", "\"a\\u0000b\""), "selection"},
      {"selection del", With("selection", "\"a\\u007fb\""), "selection"},
  };
  for (const auto& c : cases) {
    const auto m = DecodeTaskMessage(c.body);
    ASSERT_FALSE(m.ok()) << c.name;
    EXPECT_NE(m.reason().find(c.reason_mentions), std::string::npos)
        << c.name << ": " << m.reason();
    EXPECT_EQ(m.reason().find('\n'), std::string::npos) << c.name << ": " << m.reason();
  }
}

TEST(TaskMessage, RejectsEndBeforeStart) {
  const auto m = DecodeTaskMessage(With("end_date", "\"2022-12-31 23:59\""));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.reason(), "field 'end_date': end before start");
}

TEST(TaskMessage, AcceptsSelectionOfMaximumLength) {
  const std::string selection = "\"" + std::string(kMaxSelectionBytes, 'x') + "\"";
  EXPECT_TRUE(DecodeTaskMessage(With("selection", selection.c_str())).ok());
}

TEST(TaskMessage, PeeksIdsOfMalformedMessages) {
  // Valid JSON, invalid message.
  const PeekedIds bad_date = PeekIds(With("start_date", "\"yesterday\""));
  EXPECT_EQ(bad_date.task, TaskId::Parse(kTask));
  EXPECT_EQ(bad_date.run, RunId::Parse(kRun));
  // Not JSON at all, but the ids are readable.
  const PeekedIds truncated = PeekIds(std::string(kDesignExample).substr(0, 110));
  EXPECT_EQ(truncated.task, TaskId::Parse(kTask));
  EXPECT_EQ(truncated.run, RunId::Parse(kRun));
  // Not JSON before the ids (bytes that are not UTF-8): read as text.
  const PeekedIds garbled =
      PeekIds(std::string("{\"selection\": \"\xff\", \"task_id\": \"") + kTask + "\"}");
  EXPECT_EQ(garbled.task, TaskId::Parse(kTask));
}

TEST(TaskMessage, PeeksNothingWhenIdsAreUnreadable) {
  EXPECT_FALSE(PeekIds("").task);
  EXPECT_FALSE(PeekIds("garbage").task);
  EXPECT_FALSE(PeekIds(With("task_id", nullptr)).task);
  EXPECT_FALSE(PeekIds(With("task_id", "\"task-7\"")).task);
  EXPECT_FALSE(PeekIds(With("task_id", "7")).task);
  EXPECT_FALSE(PeekIds("{\"run_id\": \"c1ab55ca").run);
}

TEST(TaskMessage, PeeksOnlyTopLevelFieldsAndTheLastOfTwo) {
  const std::string other = TaskId::New().ToString();
  const PeekedIds nested =
      PeekIds(std::string("{\"meta\": {\"task_id\": \"") + other + "\"}, \"task_id\": 7}");
  EXPECT_FALSE(nested.task);
  const std::string twice =
      std::string("{\"task_id\": \"") + other + "\", \"task_id\": \"" + kTask + "\"}";
  EXPECT_EQ(PeekIds(twice).task, TaskId::Parse(kTask));  // as a parse keeps it
}

// Issue 11: an oversized body is not parsed whole (it used to be, twice):
// its ids are read from its first kMaxMessageBytes, once.
TEST(TaskMessage, PeeksAnOversizedBodyWithinItsFirstBytesOnly) {
  const std::string head = std::string("{\"run_id\": \"") + kRun + "\", \"task_id\": \"" + kTask +
                           "\", \"selection\": \"";
  const std::string huge = head + std::string(10 * kMaxMessageBytes, 'x') + "\"}";
  ASSERT_FALSE(DecodeTaskMessage(huge));
  const PeekedIds peeked = PeekIds(huge);
  EXPECT_EQ(peeked.task, TaskId::Parse(kTask));
  EXPECT_EQ(peeked.run, RunId::Parse(kRun));
  // Ids past the window are not looked for.
  const std::string late = std::string("{\"pad\": \"") + std::string(kMaxMessageBytes, 'x') +
                           "\", \"task_id\": \"" + kTask + "\"}";
  EXPECT_FALSE(PeekIds(late).task);
}

}  // namespace
}  // namespace dcp
