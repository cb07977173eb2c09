#pragma once
// The monitor's JSON API, as a function from request to response over the
// ports: routing, validation, authorisation and JSON. No threads, no I/O of
// its own, so it is unit-tested with the fakes.
//
//   GET  /api/runs                      newest runs (?limit=, default 50)
//   GET  /api/runs/{id}                 one run (with stale tasks)
//   GET  /api/runs/{id}/tasks           ?status=FAILED&limit=100&offset=0 (a page;
//                                       a full one has a Link rel="next" header)
//   GET  /api/workers                   live workers (?all=1: every row kept)
//   GET  /api/queue                     depth, consumers, recent depths
//   POST /api/runs                      {"from","to","window","selections"} -> 201
//   POST /api/runs/{id}/retry           FAILED tasks back to QUEUED, published
//   POST /api/runs/{id}/cancel
// With a read token, every GET needs `Authorization: Bearer` and the read
// token or the token (401 otherwise).
// Errors are {"error": "one line"} with 400 (bad input), 401 (wrong token),
// 403 (mutations disabled: no token configured), 404, 405, 409 (conflict:
// run lock held, run already ended or cancelled), 503 (a server is down).
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "domain/result.hpp"
#include "http/message.hpp"
#include "planning/run_parameters.hpp"
#include "ports/run_operations.hpp"
#include "ports/run_read_model.hpp"

namespace dcp::monitor {

struct ApiSettings {
  // Bearer token of the mutating endpoints; empty: they are disabled.
  std::string token;
  // Bearer token of the reads (the token also reads); empty: reads are open.
  std::string read_token;
  std::chrono::seconds stale_after{30};  // a worker's heartbeat older than this: not alive
  // /api/workers lists workers not stopped and seen this recently.
  std::chrono::seconds live_workers{std::chrono::minutes(5)};
};

// The 401 answer to a read without the read token (or the token), if the
// settings have one; nullopt when `request` may read.
std::optional<http::Response> ReadDenied(const http::Request& request, const ApiSettings& settings);

// What the API needs beyond the database, as functions so that tests can
// stand in for the broker.
struct ApiActions {
  // {"queue", "depth", "consumers", "dead", "history": [{"t", "depth"}]}.
  std::function<nlohmann::json()> queue;
  // Plans and publishes a run as the cron would. Error: bad parameters.
  std::function<Result<planning::RunOutcome>(const planning::RunParameters&)> trigger;
  // Publishes the run's QUEUED tasks past its watermark (after a requeue);
  // returns how many.
  std::function<std::int64_t(const RunId&)> publish_requeued;
};

class Api {
 public:
  // `reads` answers the GETs, `operations` the cancel and retry POSTs
  // (usually one store for both).
  Api(RunReadModel& reads, RunOperations& operations, ApiActions actions, ApiSettings settings);

  // Any /api/ request. Throws only what the ports throw (DbError,
  // AmqpError, UnavailableError): the caller maps those to 503.
  http::Response Handle(const http::Request& request);

 private:
  http::Response Get(const std::string& path, const std::string& query);
  http::Response Post(const http::Request& request);
  http::Response Trigger(const std::string& body);
  http::Response RunAction(const RunId& run, const std::string& action);

  RunReadModel& store_;
  RunOperations& operations_;
  ApiActions actions_;
  ApiSettings settings_;
};

// A JSON error response.
http::Response ErrorResponse(int status, const std::string& reason);
// The value of `name` in a query string "a=1&b=2" ("" if absent); '+' and
// %XX are decoded.
std::string QueryParam(const std::string& query, const std::string& name);

}  // namespace dcp::monitor
