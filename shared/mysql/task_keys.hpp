#pragma once
// run_process keeps its ids as BINARY(16), in the invisible columns run_key
// and task_key, which its indexes hold (migration 0011); run_id and task_id
// are virtual text columns computed from them, to read. A statement matches
// an id (a parameter, as text) against the binary column, whose index it
// uses: "task_key = " + kIdKey. A NULL id gives a NULL key.
#include <string_view>

namespace dcp::mysql {

inline constexpr std::string_view kIdKey = "UNHEX(REPLACE(?, '-', ''))";

}  // namespace dcp::mysql
