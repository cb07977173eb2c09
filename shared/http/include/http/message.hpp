#pragma once
// A parsed request and the response a handler returns.
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dcp::http {

struct Request {
  std::string method;  // as sent, e.g. "GET"
  std::string path;    // the target before '?', not percent-decoded
  std::string query;   // after '?', without it; empty if none
  // Names lower-cased; a repeated header keeps its values joined by ", ".
  std::map<std::string, std::string> headers;
  std::string body;

  // The value of `name` (any case), or "" if absent.
  std::string Header(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  // Sent as given. Content-Type, Content-Length and Connection are the
  // server's and must not appear here.
  std::vector<std::pair<std::string, std::string>> headers;

  static Response Text(int status, std::string body);
  static Response Json(int status, std::string body);
};

// "Not Found" for 404; "Unknown" for a code it does not know.
const char* ReasonPhrase(int status);

// What every response carries against content sniffing and framing
// (clickjacking): nosniff, X-Frame-Options DENY and, unless `given` has a
// Content-Security-Policy of its own, `frame-ancestors 'none'`. CRLF-ended.
std::string SecurityHeaders(const std::vector<std::pair<std::string, std::string>>& given);

// Status line, headers (with Content-Length, the security headers and
// Connection: close) and, unless `head_only`, the body.
std::string Serialize(const Response& response, bool head_only = false);

}  // namespace dcp::http
