#pragma once
// Percent-encoding of URL parts (RFC 3986), shared by the AMQP and MySQL URL
// parsers.
#include <optional>
#include <string>
#include <string_view>

namespace dcp {

// Decodes %XX escapes; nullopt on a truncated or non-hex escape.
std::optional<std::string> PercentDecode(std::string_view text);

}  // namespace dcp
