#pragma once
// The class of a MySQL/MariaDB error (ports/errors.hpp, DbErrorKind), from
// its error code and SQLSTATE: what the session puts on the DbError it
// throws, so that callers retry only what retrying can fix. The table, with
// the reasons, is in docs/design.md ("Database errors").
#include <string_view>

#include "ports/errors.hpp"

namespace dcp::mysql {

DbErrorKind ClassifyError(int code, std::string_view sql_state);

}  // namespace dcp::mysql
