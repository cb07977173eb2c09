#pragma once
// run_process keeps its ids as BINARY(16), in the invisible columns run_key
// and task_key, which its indexes hold (migration 0011); run_id and task_id
// are virtual text columns computed from them, to read. A statement matches
// an id against the binary column, whose index it uses, in one of two forms:
// - a prepared statement's parameter (the id as text): "task_key = " +
//   kIdKey; a NULL id gives a NULL key;
// - a batch statement's text (Session::ExecuteInline): KeyLiteral(id), a
//   constant the server compares without a function call per row (a CASE
//   of 256 kIdKey branches made the 20,000-task run 21 % slower).
#include <string>
#include <string_view>

namespace dcp::mysql {

inline constexpr std::string_view kIdKey = "UNHEX(REPLACE(?, '-', ''))";

// The FAILED tasks of a run (parameter: its id), by their own index
// (migration 0012: failed_run_key is run_key on a FAILED row, else NULL).
inline const std::string kFailedOfRun = "failed_run_key = " + std::string(kIdKey);

// X'<32 hex digits>' of a UUID's text (Uuid::Parse's forms); DbError
// (permanent) for anything else, so no other text reaches the statement.
std::string KeyLiteral(std::string_view id);

// The id's text of a key column read as it is (SELECT task_key, not the
// virtual task_id, which the server would compute for every row); DbError
// (permanent) for a value not of 16 bytes.
std::string KeyText(std::string_view key);

}  // namespace dcp::mysql
