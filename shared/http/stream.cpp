#include "http/stream.hpp"

#include "http/connection.hpp"

namespace dcp::http {
namespace {

// An event name or id must stay on its line.
std::string OneLine(std::string_view text) {
  std::string out(text);
  for (auto& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

}  // namespace

bool Stream::SendHeadersIfNeeded() {
  if (!connection_) return false;
  if (started_) return true;
  started_ = true;
  return connection_->Write("HTTP/1.1 200 OK\r\nContent-Type: " + content_type_ +
                            "\r\nCache-Control: no-cache\r\nX-Accel-Buffering: no\r\n" +
                            SecurityHeaders({}) + "Connection: close\r\n\r\n");
}

bool Stream::Reject(const Response& response) {
  if (!connection_ || started_) return false;
  auto* connection = connection_;
  connection->Respond(response);  // detaches this stream
  return true;
}

bool Stream::Send(std::string_view bytes) {
  if (!SendHeadersIfNeeded()) return false;
  if (bytes.empty()) return open();
  return connection_ != nullptr && connection_->Write(bytes);
}

bool Stream::SendEvent(std::string_view data, std::string_view event, std::string_view id) {
  std::string text;
  if (!event.empty()) text += "event: " + OneLine(event) + '\n';
  if (!id.empty()) text += "id: " + OneLine(id) + '\n';
  while (true) {
    const auto eol = data.find('\n');
    auto line = data.substr(0, eol);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    text += "data: ";
    text += line;
    text += '\n';
    if (eol == std::string_view::npos) break;
    data.remove_prefix(eol + 1);
  }
  text += '\n';
  return Send(text);
}

bool Stream::SendComment(std::string_view text) { return Send(": " + OneLine(text) + "\n\n"); }

void Stream::Close() {
  if (!SendHeadersIfNeeded()) return;
  if (connection_) connection_->FinishAfterFlush();
}

}  // namespace dcp::http
