#pragma once
// Parses one HTTP/1.x request from the bytes received so far. Pure: no I/O,
// no state, so it is re-run on the growing buffer (bounded by the limits).
#include <cstddef>
#include <string>
#include <string_view>

#include "http/message.hpp"

namespace dcp::http {

struct ParseLimits {
  std::size_t max_header_bytes = 16 * 1024;  // request line + headers
  std::size_t max_body_bytes = 1024 * 1024;
};

struct ParseOutcome {
  enum class State { kIncomplete, kComplete, kError };
  State state = State::kIncomplete;
  Request request;           // kComplete
  std::size_t consumed = 0;  // kComplete: bytes of this request (headers + body)
  int error_status = 0;      // kError: the status to answer (400, 413, 431, 501, 505)
  std::string error;         // kError: one line, for the response body
};

// kIncomplete until the headers and Content-Length bytes of body are in
// `buffer`; kError as soon as the bytes cannot become a valid request within
// the limits (so a client sending garbage is answered without waiting).
ParseOutcome ParseRequest(std::string_view buffer, const ParseLimits& limits);

}  // namespace dcp::http
