#include "domain/task_message.hpp"

#include <nlohmann/json.hpp>
#include <optional>

namespace dcp {
namespace {

using Json = nlohmann::json;

Error FieldError(std::string_view field, std::string_view problem) {
  return Error{"field '" + std::string(field) + "': " + std::string(problem)};
}

// The string value of a required field, or the reason it has none.
Result<std::string> StringField(const Json& object, std::string_view field) {
  const auto it = object.find(field);
  if (it == object.end()) return FieldError(field, "missing");
  if (!it->is_string()) return FieldError(field, "not a string");
  return it->get<std::string>();
}

template <class IdType>
Result<IdType> IdField(const Json& object, std::string_view field) {
  auto text = StringField(object, field);
  if (!text) return Error{text.reason()};
  auto id = IdType::Parse(*text);
  if (!id) return FieldError(field, "not a canonical UUID");
  return *id;
}

Result<LocalMinute> MinuteField(const Json& object, std::string_view field) {
  auto text = StringField(object, field);
  if (!text) return Error{text.reason()};
  auto minute = ParseLocalMinute(*text);
  if (!minute) return FieldError(field, "not a date 'YYYY-MM-DD HH:MM'");
  return *minute;
}

Result<std::string> SelectionField(const Json& object) {
  auto text = StringField(object, "selection");
  if (!text) return text;
  if (text->empty()) return FieldError("selection", "empty");
  if (text->size() > kMaxSelectionBytes) {
    return FieldError("selection", "longer than " + std::to_string(kMaxSelectionBytes) + " bytes");
  }
  for (const char c : *text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return FieldError("selection", "contains a control character");
  }
  return text;
}

// Reads `"field" : "<text>"` textually, for bodies that are not valid JSON.
std::optional<std::string_view> ScanQuotedField(std::string_view body, std::string_view field) {
  const std::string key = "\"" + std::string(field) + "\"";
  const auto at = body.find(key);
  if (at == std::string_view::npos) return std::nullopt;
  auto pos = body.find_first_not_of(" \t\r\n", at + key.size());
  if (pos == std::string_view::npos || body[pos] != ':') return std::nullopt;
  pos = body.find_first_not_of(" \t\r\n", pos + 1);
  if (pos == std::string_view::npos || body[pos] != '"') return std::nullopt;
  const auto close = body.find('"', pos + 1);
  if (close == std::string_view::npos) return std::nullopt;
  return body.substr(pos + 1, close - pos - 1);
}

// SAX events of one pass over a body: the string values of the top-level
// keys "task_id" and "run_id" (the last of each, as a parse would keep),
// nothing else stored. A syntax error ends the pass; what was read stays.
class IdCollector final : public nlohmann::json_sax<Json> {
 public:
  std::optional<std::string> task_id, run_id;
  bool failed = false;

  bool null() override { return Value(); }
  bool boolean(bool) override { return Value(); }
  bool number_integer(number_integer_t) override { return Value(); }
  bool number_unsigned(number_unsigned_t) override { return Value(); }
  bool number_float(number_float_t, const string_t&) override { return Value(); }
  bool string(string_t& value) override {
    if (depth_ == 1 && key_ == "task_id") task_id = value;
    if (depth_ == 1 && key_ == "run_id") run_id = value;
    return Value();
  }
  bool binary(binary_t&) override { return Value(); }
  bool start_object(std::size_t) override { return Open(); }
  bool key(string_t& name) override {
    if (depth_ == 1) key_ = name;
    return true;
  }
  bool end_object() override { return Close(); }
  bool start_array(std::size_t) override { return Open(); }
  bool end_array() override { return Close(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    failed = true;
    return false;
  }

 private:
  bool Value() {
    if (depth_ == 1) key_.clear();
    return true;
  }
  bool Open() {
    if (depth_ == 1) key_.clear();  // a nested value under this key: not an id
    ++depth_;
    return true;
  }
  bool Close() {
    --depth_;
    return true;
  }

  int depth_ = 0;
  std::string key_;  // the current top-level key, while its value is read
};

}  // namespace

Result<TaskMessage> DecodeTaskMessage(std::string_view body) {
  if (body.empty()) return Error{"body: empty"};
  if (body.size() > kMaxMessageBytes) {
    return Error{"body: larger than " + std::to_string(kMaxMessageBytes) + " bytes"};
  }
  Json json;
  try {
    json = Json::parse(body.begin(), body.end());
  } catch (const Json::parse_error& e) {
    return Error{"body: not JSON (syntax error at byte " + std::to_string(e.byte) + ")"};
  } catch (const Json::exception&) {
    return Error{"body: not JSON"};
  }
  if (!json.is_object()) return Error{"body: not a JSON object"};

  auto run_id = IdField<RunId>(json, "run_id");
  if (!run_id) return Error{run_id.reason()};
  auto task_id = IdField<TaskId>(json, "task_id");
  if (!task_id) return Error{task_id.reason()};
  auto selection = SelectionField(json);
  if (!selection) return Error{selection.reason()};
  auto start = MinuteField(json, "start_date");
  if (!start) return Error{start.reason()};
  auto end = MinuteField(json, "end_date");
  if (!end) return Error{end.reason()};
  if (*end < *start) return FieldError("end_date", "end before start");

  TaskMessage message{*run_id, *task_id, std::move(selection).value(), *start, *end};
  if (const auto params = json.find("params"); params != json.end() && !params->is_null()) {
    if (!params->is_object()) return FieldError("params", "not a JSON object");
    message.params = params->dump(-1, ' ', false, Json::error_handler_t::replace);
    if (message.params.size() > kMaxParamsBytes) {
      return FieldError("params", "larger than " + std::to_string(kMaxParamsBytes) + " bytes");
    }
  }
  return message;
}

PeekedIds PeekIds(std::string_view body) {
  const std::string_view window = body.substr(0, kMaxMessageBytes);
  IdCollector ids;
  Json::sax_parse(window.begin(), window.end(), &ids);
  // Not JSON up to the ids: read them as text, still within the window.
  if (ids.failed) {
    if (!ids.task_id) {
      if (auto text = ScanQuotedField(window, "task_id")) ids.task_id = std::string(*text);
    }
    if (!ids.run_id) {
      if (auto text = ScanQuotedField(window, "run_id")) ids.run_id = std::string(*text);
    }
  }
  PeekedIds peeked;
  if (ids.task_id) peeked.task = TaskId::Parse(*ids.task_id);
  if (ids.run_id) peeked.run = RunId::Parse(*ids.run_id);
  return peeked;
}

std::string EncodeTaskMessage(const TaskMessage& m) {
  // ordered_json keeps the v1 field order of the original demo.
  nlohmann::ordered_json json;
  json["run_id"] = m.run_id.ToString();
  json["task_id"] = m.task_id.ToString();
  json["selection"] = m.selection;
  json["start_date"] = FormatLocalMinute(m.start);
  json["end_date"] = FormatLocalMinute(m.end);
  // Invalid UTF-8 in the selection is replaced (U+FFFD) rather than thrown.
  std::string body = json.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  if (!m.params.empty()) {
    body.pop_back();  // the closing brace
    body += ",\"params\":" + m.params + "}";
  }
  return body;
}

}  // namespace dcp
