#include "http/message.hpp"

#include <algorithm>
#include <cctype>

namespace dcp::http {

std::string Request::Header(std::string_view name) const {
  std::string key(name);
  for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto it = headers.find(key);
  return it == headers.end() ? std::string() : it->second;
}

Response Response::Text(int status, std::string body) {
  Response response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

Response Response::Json(int status, std::string body) {
  Response response;
  response.status = status;
  response.content_type = "application/json";
  response.body = std::move(body);
  return response;
}

const char* ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 421:
      return "Misdirected Request";
    case 429:
      return "Too Many Requests";
    case 413:
      return "Content Too Large";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

std::string SecurityHeaders(const std::vector<std::pair<std::string, std::string>>& given) {
  const bool has_policy = std::any_of(given.begin(), given.end(), [](const auto& header) {
    return header.first == "Content-Security-Policy";
  });
  return std::string("X-Content-Type-Options: nosniff\r\nX-Frame-Options: DENY\r\n") +
         (has_policy ? "" : "Content-Security-Policy: frame-ancestors 'none'\r\n");
}

std::string Serialize(const Response& response, bool head_only) {
  std::string out =
      "HTTP/1.1 " + std::to_string(response.status) + ' ' + ReasonPhrase(response.status) + "\r\n";
  if (!response.content_type.empty()) out += "Content-Type: " + response.content_type + "\r\n";
  out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  for (const auto& [name, value] : response.headers) out += name + ": " + value + "\r\n";
  out += SecurityHeaders(response.headers);
  out += "Connection: close\r\n\r\n";
  if (!head_only) out += response.body;
  return out;
}

}  // namespace dcp::http
