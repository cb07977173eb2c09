#include "sql_codec.hpp"

#include <algorithm>
#include <chrono>
#include <optional>

#include "domain/utf8.hpp"
#include "ports/errors.hpp"

namespace dcp::mysql {
namespace {

[[noreturn]] void Corrupt(std::string_view what, std::string_view text) {
  throw DbError(
      "mysql: unexpected " + std::string(what) + " value '" + std::string(text.substr(0, 40)) + "'",
      false);
}

}  // namespace

std::string ToSqlDateTime(LocalMinute t) { return FormatLocalMinute(t); }

LocalMinute ParseSqlLocalMinute(std::string_view text) {
  auto minute = text.size() >= 16 ? ParseLocalMinute(text.substr(0, 16)) : std::nullopt;
  if (!minute) Corrupt("DATETIME", text);
  return *minute;
}

SysSeconds ParseSqlUtc(std::string_view text) {
  if (text.size() < 19 || text[16] != ':') Corrupt("DATETIME", text);
  const LocalMinute minute = ParseSqlLocalMinute(text);
  const char s1 = text[17];
  const char s2 = text[18];
  if (s1 < '0' || s1 > '5' || s2 < '0' || s2 > '9') Corrupt("DATETIME", text);
  // A UTC wall clock maps to sys time one to one.
  return SysSeconds{minute.since_epoch} + std::chrono::seconds((s1 - '0') * 10 + (s2 - '0'));
}

RunId ParseRunIdColumn(std::string_view text) {
  auto id = RunId::Parse(text);
  if (!id) Corrupt("run_id", text);
  return *id;
}

TaskId ParseTaskIdColumn(std::string_view text) {
  auto id = TaskId::Parse(text);
  if (!id) Corrupt("task_id", text);
  return *id;
}

std::string FitText(std::string_view text, std::size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes));
  for (std::size_t i = 0; i < text.size();) {
    std::size_t n = Utf8SequenceLength(text, i);
    if (out.size() + (n == 0 ? 1 : n) > max_bytes) break;
    if (n == 0) {
      out.push_back('?');
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

}  // namespace dcp::mysql
