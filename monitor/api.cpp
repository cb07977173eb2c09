#include "monitor/api.hpp"

#include <cctype>

#include "views/view_json.hpp"

namespace dcp::monitor {
namespace {

using nlohmann::json;

constexpr std::string_view kRuns = "/api/runs";
// The bounds of one answer: a page of tasks, the workers.
constexpr std::size_t kMaxTasks = 1000;
constexpr std::size_t kMaxOffset = 1'000'000'000;
constexpr std::size_t kMaxWorkers = 1000;

SysSeconds Now() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

http::Response Json(int status, const json& body) {
  return http::Response::Json(status, body.dump());
}

// Compares without an early exit, so that timing does not reveal a prefix.
bool SameToken(const std::string& given, const std::string& expected) {
  unsigned char diff = given.size() == expected.size() ? 0 : 1;
  for (std::size_t i = 0; i < given.size(); ++i) {
    diff |= static_cast<unsigned char>(given[i] ^ expected[i % expected.size()]);
  }
  return diff == 0;
}

std::optional<std::size_t> Limit(const std::string& text, std::size_t fallback, std::size_t max) {
  if (text.empty()) return fallback;
  std::size_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9' || value > max) return std::nullopt;
    value = value * 10 + static_cast<std::size_t>(c - '0');
  }
  if (value == 0 || value > max) return std::nullopt;
  return value;
}

// "/api/runs/{id}[/rest]" -> (id text, rest); nullopt for another path.
std::optional<std::pair<std::string, std::string>> RunPath(const std::string& path) {
  if (path.compare(0, kRuns.size() + 1, std::string(kRuns) + "/") != 0) return std::nullopt;
  const std::string tail = path.substr(kRuns.size() + 1);
  const auto slash = tail.find('/');
  if (slash == std::string::npos) return std::pair{tail, std::string()};
  return std::pair{tail.substr(0, slash), tail.substr(slash + 1)};
}

// Whether `request` carries `Authorization: Bearer <one of tokens>`.
bool HasBearer(const http::Request& request, std::initializer_list<const std::string*> tokens) {
  const std::string auth = request.Header("authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (auth.compare(0, kBearer.size(), kBearer) != 0) return false;
  const std::string given = auth.substr(kBearer.size());
  bool match = false;
  for (const std::string* token : tokens) {
    match |= !token->empty() && SameToken(given, *token);  // no early exit either
  }
  return match;
}

http::Response Unauthorized() {
  http::Response denied = ErrorResponse(401, "missing or wrong bearer token");
  denied.headers.emplace_back("WWW-Authenticate", "Bearer");
  return denied;
}

}  // namespace

std::optional<http::Response> ReadDenied(const http::Request& request,
                                         const ApiSettings& settings) {
  if (settings.read_token.empty() || HasBearer(request, {&settings.read_token, &settings.token})) {
    return std::nullopt;
  }
  return Unauthorized();
}

http::Response ErrorResponse(int status, const std::string& reason) {
  return Json(status, json{{"error", reason}});
}

std::string QueryParam(const std::string& query, const std::string& name) {
  std::size_t pos = 0;
  while (pos <= query.size()) {
    const auto amp = std::min(query.find('&', pos), query.size());
    const std::string pair = query.substr(pos, amp - pos);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      std::string raw = eq == std::string::npos ? "" : pair.substr(eq + 1), out;
      for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '+') {
          out += ' ';
        } else if (raw[i] == '%' && i + 2 < raw.size() &&
                   std::isxdigit(static_cast<unsigned char>(raw[i + 1])) &&
                   std::isxdigit(static_cast<unsigned char>(raw[i + 2]))) {
          out += static_cast<char>(std::stoi(raw.substr(i + 1, 2), nullptr, 16));
          i += 2;
        } else {
          out += raw[i];
        }
      }
      return out;
    }
    pos = amp + 1;
  }
  return {};
}

Api::Api(RunReadModel& reads, RunOperations& operations, ApiActions actions, ApiSettings settings)
    : store_(reads),
      operations_(operations),
      actions_(std::move(actions)),
      settings_(std::move(settings)) {}

http::Response Api::Handle(const http::Request& request) {
  if (request.method == "GET" || request.method == "HEAD") {
    if (auto denied = ReadDenied(request, settings_)) return *denied;
    return Get(request.path, request.query);
  }
  if (request.method != "POST") return ErrorResponse(405, "GET or POST only");
  if (settings_.token.empty()) {
    return ErrorResponse(403,
                         "mutating endpoints are disabled: the monitor has no token "
                         "(set DCP_MONITOR_TOKEN)");
  }
  if (!HasBearer(request, {&settings_.token})) return Unauthorized();
  return Post(request);
}

http::Response Api::Get(const std::string& path, const std::string& query) {
  const SysSeconds now = Now();
  if (path == kRuns) {
    const auto limit = Limit(QueryParam(query, "limit"), 50, 1000);
    if (!limit) return ErrorResponse(400, "limit: a number from 1 to 1000");
    json out = json::array();
    for (const auto& r : store_.ListRuns(*limit)) out.push_back(views::RunJson(r, now));
    return Json(200, out);
  }
  if (path == "/api/workers") {
    const bool all = QueryParam(query, "all") == "1";
    json out = json::array();
    for (const auto& w : store_.ListWorkers(
             all ? std::nullopt : std::optional(settings_.live_workers), kMaxWorkers)) {
      out.push_back(views::WorkerJson(w, now, settings_.stale_after));
    }
    return Json(200, out);
  }
  if (path == "/api/queue") return Json(200, actions_.queue());
  const auto run_path = RunPath(path);
  if (!run_path) return ErrorResponse(404, "no such endpoint");
  const auto run = RunId::Parse(run_path->first);
  if (!run) return ErrorResponse(400, "run id '" + run_path->first + "': not a UUID");
  if (run_path->second.empty()) {
    const auto summary = store_.GetRun(*run);
    if (!summary) return ErrorResponse(404, "no run " + run->ToString());
    return Json(200, views::RunJson(*summary, now));
  }
  if (run_path->second != "tasks") return ErrorResponse(404, "no such endpoint");
  std::optional<TaskStatus> status;
  if (const std::string text = QueryParam(query, "status"); !text.empty()) {
    status = ParseTaskStatus(text);
    if (!status) return ErrorResponse(400, "status '" + text + "': not a task status");
  }
  const auto limit = Limit(QueryParam(query, "limit"), 100, kMaxTasks);
  if (!limit) return ErrorResponse(400, "limit: a number from 1 to " + std::to_string(kMaxTasks));
  const std::string offset_text = QueryParam(query, "offset");
  const auto offset = offset_text == "0" ? 0 : Limit(offset_text, 0, kMaxOffset);
  if (!offset)
    return ErrorResponse(400, "offset: a number from 0 to " + std::to_string(kMaxOffset));
  if (!store_.GetRun(*run)) return ErrorResponse(404, "no run " + run->ToString());
  json out = json::array();
  for (const auto& t : store_.ListTasks(*run, status, *limit, *offset)) {
    out.push_back(views::TaskJson(t));
  }
  auto response = Json(200, out);
  if (out.size() == *limit) {  // perhaps more: the next page
    std::string next =
        path + "?limit=" + std::to_string(*limit) + "&offset=" + std::to_string(*offset + *limit);
    if (status) next += "&status=" + std::string(ToString(*status));
    response.headers.emplace_back("Link", "<" + next + ">; rel=\"next\"");
  }
  return response;
}

http::Response Api::Post(const http::Request& request) {
  if (request.path == kRuns) return Trigger(request.body);
  const auto run_path = RunPath(request.path);
  if (!run_path || (run_path->second != "retry" && run_path->second != "cancel")) {
    return ErrorResponse(404, "no such endpoint");
  }
  const auto run = RunId::Parse(run_path->first);
  if (!run) return ErrorResponse(400, "run id '" + run_path->first + "': not a UUID");
  return RunAction(*run, run_path->second);
}

http::Response Api::Trigger(const std::string& body) {
  planning::RunParameters p;
  p.window.clear();  // not given: the job's (the trigger action applies its defaults)
  if (!body.empty()) {
    const json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) return ErrorResponse(400, "body: expected a JSON object");
    for (const auto& [key, value] : j.items()) {
      std::string* field = key == "from"         ? &p.from
                           : key == "to"         ? &p.to
                           : key == "window"     ? &p.window
                           : key == "selections" ? &p.selections
                                                 : nullptr;
      if (field == nullptr) return ErrorResponse(400, "unknown field '" + key + "'");
      if (!value.is_string()) return ErrorResponse(400, key + ": expected a string");
      *field = value.get<std::string>();
    }
  }
  const auto outcome = actions_.trigger(p);
  if (!outcome) return ErrorResponse(400, outcome.reason());
  switch (outcome->status) {
    case planning::RunOutcome::Status::kLocked:
      return ErrorResponse(409, "another leader holds the run lock");
    case planning::RunOutcome::Status::kPreviousRunActive:
      return ErrorResponse(409, "run " + outcome->run->ToString() + " is still active");
    case planning::RunOutcome::Status::kPublished:
    default:
      return Json(201, json{{"run_id", outcome->run->ToString()}, {"tasks", outcome->tasks}});
  }
}

http::Response Api::RunAction(const RunId& run, const std::string& action) {
  const auto summary = store_.GetRun(run);
  if (!summary) return ErrorResponse(404, "no run " + run.ToString());
  if (action == "cancel") {
    const auto result = operations_.CancelRun(run);
    if (result.status != CancelResult::Status::kCancelled) {
      return ErrorResponse(409, "run " + run.ToString() + " has already ended");
    }
    return Json(200, json{{"run_id", run.ToString()}, {"tasks_cancelled", result.tasks_cancelled}});
  }
  if (summary->status == RunStatus::kCancelled) {
    return ErrorResponse(409, "run " + run.ToString() + " was cancelled");
  }
  const auto requeued = operations_.RequeueFailed(run);
  const std::int64_t published = requeued.empty() ? 0 : actions_.publish_requeued(run);
  return Json(200, json{{"run_id", run.ToString()},
                        {"requeued", static_cast<std::int64_t>(requeued.size())},
                        {"published", published}});
}

}  // namespace dcp::monitor
