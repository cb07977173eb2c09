#include "http/request_parser.hpp"

#include <cctype>

namespace dcp::http {
namespace {

bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

ParseOutcome Error(int status, std::string message) {
  ParseOutcome outcome;
  outcome.state = ParseOutcome::State::kError;
  outcome.error_status = status;
  outcome.error = std::move(message);
  return outcome;
}

// Next line of `rest` without its CRLF (or bare LF); advances `rest`.
std::string_view NextLine(std::string_view& rest) {
  const auto eol = rest.find('\n');
  std::string_view line = rest.substr(0, eol);
  rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

bool ParseRequestLine(std::string_view line, Request& request, ParseOutcome& error) {
  const auto sp1 = line.find(' ');
  const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    error = Error(400, "malformed request line");
    return false;
  }
  const auto method = line.substr(0, sp1);
  const auto target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const auto version = line.substr(sp2 + 1);
  if (!IsToken(method)) {
    error = Error(400, "malformed method");
    return false;
  }
  if (target.empty() || target.front() != '/') {
    error = Error(400, "request target must be an absolute path");
    return false;
  }
  for (char c : target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      error = Error(400, "control character in request target");
      return false;
    }
  }
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    error = version.starts_with("HTTP/") ? Error(505, "only HTTP/1.0 and HTTP/1.1")
                                         : Error(400, "malformed HTTP version");
    return false;
  }
  request.method = std::string(method);
  const auto question = target.find('?');
  request.path = std::string(target.substr(0, question));
  if (question != std::string_view::npos) request.query = std::string(target.substr(question + 1));
  return true;
}

bool ParseHeaderLine(std::string_view line, Request& request, ParseOutcome& error) {
  const auto colon = line.find(':');
  if (colon == std::string_view::npos || !IsToken(line.substr(0, colon))) {
    // Also rejects obsolete line folding (a line starting with whitespace).
    error = Error(400, "malformed header line");
    return false;
  }
  const auto value = Trim(line.substr(colon + 1));
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) {
      error = Error(400, "control character in header value");
      return false;
    }
  }
  auto [it, inserted] = request.headers.emplace(Lower(line.substr(0, colon)), value);
  if (!inserted) it->second += ", " + std::string(value);
  return true;
}

}  // namespace

ParseOutcome RequestParser::Parse(std::string_view buffer) {
  if (header_end_ == 0) {
    // Tolerate empty lines before the request line (RFC 9112 2.2).
    if (start_ == scan_) {
      while (start_ < buffer.size() && (buffer[start_] == '\r' || buffer[start_] == '\n')) {
        ++start_;
      }
      scan_ = start_;
    }
    // The headers end at an empty line: LF then LF, or LF then CR LF.
    for (; scan_ < buffer.size(); ++scan_) {
      if (buffer[scan_] != '\n') continue;
      if (scan_ + 1 >= buffer.size()) break;
      if (buffer[scan_ + 1] == '\n') {
        header_end_ = scan_ + 2;
        break;
      }
      if (buffer[scan_ + 1] != '\r') continue;
      if (scan_ + 2 >= buffer.size()) break;
      if (buffer[scan_ + 2] == '\n') {
        header_end_ = scan_ + 3;
        break;
      }
    }
    if (header_end_ == 0) {
      if (buffer.size() > limits_.max_header_bytes) return Error(431, "request headers too large");
      return {};
    }
    // The limit counts every byte before the body, leading blank lines
    // included: the same bound whether the headers' end has arrived yet or
    // not, and no endless stream of blank lines is buffered.
    if (header_end_ > limits_.max_header_bytes) return Error(431, "request headers too large");
    auto outcome = ParseHeaders(buffer.substr(start_, header_end_ - start_));
    if (outcome.state == ParseOutcome::State::kError) return outcome;
  }
  if (buffer.size() - header_end_ < body_length_) return {};
  ParseOutcome outcome;
  outcome.request = std::move(request_);
  outcome.request.body = std::string(buffer.substr(header_end_, body_length_));
  outcome.consumed = header_end_ + body_length_;
  outcome.state = ParseOutcome::State::kComplete;
  return outcome;
}

ParseOutcome RequestParser::ParseHeaders(std::string_view headers) {
  ParseOutcome outcome;
  std::string_view rest = headers;
  if (!ParseRequestLine(NextLine(rest), request_, outcome)) return outcome;
  for (auto line = NextLine(rest); !line.empty(); line = NextLine(rest)) {
    if (!ParseHeaderLine(line, request_, outcome)) return outcome;
  }
  if (request_.headers.count("transfer-encoding")) {
    return Error(501, "Transfer-Encoding is not supported; send Content-Length");
  }
  if (const auto it = request_.headers.find("content-length"); it != request_.headers.end()) {
    const auto& text = it->second;
    if (text.empty() || text.size() > 18 ||
        text.find_first_not_of("0123456789") != std::string::npos) {
      return Error(400, "malformed Content-Length");
    }
    body_length_ = std::stoull(text);
  }
  if (body_length_ > limits_.max_body_bytes) return Error(413, "request body too large");
  if (body_length_ > 0 && (request_.method == "GET" || request_.method == "HEAD")) {
    return Error(400, request_.method + " requests carry no body");
  }
  return outcome;
}

ParseOutcome ParseRequest(std::string_view buffer, const ParseLimits& limits) {
  return RequestParser(limits).Parse(buffer);
}

}  // namespace dcp::http
