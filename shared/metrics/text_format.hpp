#pragma once
// Pieces of the Prometheus text format (internal to dcp_metrics).
#include <string>
#include <string_view>

namespace dcp::metrics::text {

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool IsValidMetricName(std::string_view name);
// [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__" (reserved).
bool IsValidLabelName(std::string_view name);
// Label values escape backslash, double quote and newline.
std::string EscapeLabelValue(std::string_view value);
// HELP text escapes backslash and newline.
std::string EscapeHelp(std::string_view help);
// Shortest round-trip form; integers without a fraction; +Inf, -Inf, NaN.
std::string FormatValue(double value);

}  // namespace dcp::metrics::text
