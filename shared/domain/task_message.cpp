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

// The JSON object of a body, or nullopt (never throws).
std::optional<Json> ParseObject(std::string_view body) {
  Json json = Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return std::nullopt;
  return json;
}

// Reads `"field" : "<36 chars>"` textually, for bodies that are not valid JSON.
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

template <class IdType>
std::optional<IdType> PeekId(std::string_view body, std::string_view field) {
  if (auto object = ParseObject(body)) {
    const auto it = object->find(field);
    if (it == object->end() || !it->is_string()) return std::nullopt;
    return IdType::Parse(it->template get<std::string>());
  }
  auto text = ScanQuotedField(body, field);
  if (!text) return std::nullopt;
  return IdType::Parse(*text);
}

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

  return TaskMessage{*run_id, *task_id, std::move(selection).value(), *start, *end};
}

std::optional<TaskId> PeekTaskId(std::string_view body) { return PeekId<TaskId>(body, "task_id"); }

std::optional<RunId> PeekRunId(std::string_view body) { return PeekId<RunId>(body, "run_id"); }

std::string EncodeTaskMessage(const TaskMessage& m) {
  // ordered_json keeps the v1 field order of the original demo.
  nlohmann::ordered_json json;
  json["run_id"] = m.run_id.ToString();
  json["task_id"] = m.task_id.ToString();
  json["selection"] = m.selection;
  json["start_date"] = FormatLocalMinute(m.start);
  json["end_date"] = FormatLocalMinute(m.end);
  // Invalid UTF-8 in the selection is replaced (U+FFFD) rather than thrown.
  return json.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace dcp
