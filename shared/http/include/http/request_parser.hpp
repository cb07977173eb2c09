#pragma once
// Parses one HTTP/1.x request from the bytes received so far. No I/O: a
// RequestParser is given the growing buffer after every read and looks at
// each byte once (the search for the end of the headers resumes where the
// last call stopped; the headers are parsed once, when they are complete).
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

// kIncomplete until the headers and Content-Length bytes of body are in the
// buffer; kError as soon as the bytes cannot become a valid request within
// the limits (so a client sending garbage is answered without waiting). GET
// and HEAD requests carry no body: a Content-Length above 0 is an error.
class RequestParser {
 public:
  explicit RequestParser(ParseLimits limits) : limits_(limits) {}

  // `buffer`: every byte received so far; each call's buffer starts with the
  // previous call's. After kComplete or kError, the parser is done.
  ParseOutcome Parse(std::string_view buffer);

 private:
  ParseOutcome ParseHeaders(std::string_view headers);

  ParseLimits limits_;
  std::size_t start_ = 0;       // the request line's first byte (after empty lines)
  std::size_t scan_ = 0;        // where the search for the empty line resumes
  std::size_t header_end_ = 0;  // 0 until the headers are complete
  std::size_t body_length_ = 0;
  Request request_;
};

// One parse of a whole buffer (tests, fuzzing).
ParseOutcome ParseRequest(std::string_view buffer, const ParseLimits& limits);

}  // namespace dcp::http
