#include "sql_codec.hpp"

#include <algorithm>
#include <chrono>
#include <optional>

#include "ports/errors.hpp"

namespace dcp::mysql {
namespace {

[[noreturn]] void Corrupt(std::string_view what, std::string_view text) {
  throw DbError(
      "mysql: unexpected " + std::string(what) + " value '" + std::string(text.substr(0, 40)) + "'",
      false);
}

// Length of the valid UTF-8 sequence at s[i], or 0 if invalid.
std::size_t Utf8Length(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t n = 0;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF)
    n = 2;
  else if (c >= 0xE0 && c <= 0xEF)
    n = 3;
  else if (c >= 0xF0 && c <= 0xF4)
    n = 4;
  else
    return 0;
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  }
  const auto c1 = static_cast<unsigned char>(s[i + 1]);
  if (c == 0xE0 && c1 < 0xA0) return 0;  // overlong
  if (c == 0xED && c1 > 0x9F) return 0;  // surrogate
  if (c == 0xF0 && c1 < 0x90) return 0;  // overlong
  if (c == 0xF4 && c1 > 0x8F) return 0;  // beyond U+10FFFF
  return n;
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
    std::size_t n = Utf8Length(text, i);
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
