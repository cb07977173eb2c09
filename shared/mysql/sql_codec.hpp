#pragma once
// Column values <-> domain types, at the adapter boundary. A value the
// schema cannot hold (a corrupt row) throws a non-transient DbError.
#include <cstddef>
#include <string>
#include <string_view>

#include "domain/ids.hpp"
#include "domain/local_time.hpp"

namespace dcp::mysql {

// A local wall-clock minute as a DATETIME parameter ("YYYY-MM-DD HH:MM").
std::string ToSqlDateTime(LocalMinute t);
// A DATETIME column read as "YYYY-MM-DD HH:MM:SS[.ffffff]", seconds ignored.
LocalMinute ParseSqlLocalMinute(std::string_view text);
// A UTC DATETIME(6) column (the *_at columns), truncated to the second.
SysSeconds ParseSqlUtc(std::string_view text);

RunId ParseRunIdColumn(std::string_view text);
TaskId ParseTaskIdColumn(std::string_view text);

// The longest error text kept (a task's, a run's, an export's): TEXT holds
// 65535 bytes; rows stay small, and a stderr tail's end is what tells.
inline constexpr std::size_t kMaxErrorBytes = 8192;

// Text for a utf8mb4 column of at most max_bytes: invalid UTF-8 bytes become
// '?', and the text is cut at a character boundary.
std::string FitText(std::string_view text, std::size_t max_bytes);

}  // namespace dcp::mysql
