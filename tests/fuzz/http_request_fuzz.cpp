// Fuzz target for the HTTP request parser (http/request_parser.hpp), which
// reads bytes from anyone who can reach a dcp port. Properties, on any input:
//  - parsing the whole buffer at once returns (no crash, leak or UB);
//  - fed in pieces (as reads deliver them; the split points come from the
//    input's first byte), the parser reaches the same outcome: the same
//    state, request, consumed count or error status;
//  - a complete request has consumed <= the buffer, a path starting with
//    '/', a body of its Content-Length, and no body if it is a GET or HEAD;
//    an error's status is one the server answers.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "http/request_parser.hpp"

namespace {

using dcp::http::ParseOutcome;

void Require(bool holds, const char* property) {
  if (holds) return;
  std::fprintf(stderr, "property violated: %s\n", property);
  std::abort();
}

bool Same(const ParseOutcome& a, const ParseOutcome& b) {
  if (a.state != b.state) return false;
  if (a.state == ParseOutcome::State::kError) return a.error_status == b.error_status;
  if (a.state == ParseOutcome::State::kIncomplete) return true;
  return a.consumed == b.consumed && a.request.method == b.request.method &&
         a.request.path == b.request.path && a.request.query == b.request.query &&
         a.request.headers == b.request.headers && a.request.body == b.request.body;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t step = 1 + data[0] % 7;  // bytes per "read"
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  const dcp::http::ParseLimits limits{512, 256};  // small, so the limits are reached

  const ParseOutcome whole = dcp::http::ParseRequest(input, limits);
  dcp::http::RequestParser parser(limits);
  ParseOutcome pieces;
  for (std::size_t fed = 0;
       fed < input.size() && pieces.state == ParseOutcome::State::kIncomplete;) {
    fed = std::min(input.size(), fed + step);
    pieces = parser.Parse(input.substr(0, fed));
  }
  if (input.empty()) pieces = parser.Parse(input);
  Require(Same(whole, pieces), "fed in pieces, the parser reaches the whole buffer's outcome");

  if (whole.state == ParseOutcome::State::kComplete) {
    const auto& r = whole.request;
    Require(whole.consumed <= input.size(), "consumed within the buffer");
    Require(!r.path.empty() && r.path.front() == '/', "the path is absolute");
    const auto length = r.headers.find("content-length");
    Require(r.body.size() == (length == r.headers.end() ? 0 : std::stoull(length->second)),
            "the body is Content-Length bytes");
    Require(r.body.size() <= limits.max_body_bytes, "the body is within the limit");
    Require(r.body.empty() || (r.method != "GET" && r.method != "HEAD"), "no body on GET");
  } else if (whole.state == ParseOutcome::State::kError) {
    const int s = whole.error_status;
    Require(s == 400 || s == 413 || s == 431 || s == 501 || s == 505, "a known error status");
    Require(!whole.error.empty(), "an error says why");
  }
  return 0;
}
