#include "monitor/monitor_service.hpp"

#include <spdlog/spdlog.h>

#include "monitor/queue_history.hpp"
#include "ports/errors.hpp"
#include "views/run_progress.hpp"

namespace dcp::monitor {
namespace {

using nlohmann::json;

SysSeconds Now() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

}  // namespace

MonitorService::MonitorService(struct ev_loop* loop, http::Server& server,
                               BackendFactory make_backend, MonitorSettings settings)
    : settings_(std::move(settings)),
      make_backend_(std::move(make_backend)),
      answers_(loop, [this](std::deque<Answer>& answers) { OnAnswers(answers); }) {
  auto queue_job = [this](const http::Request& request, std::shared_ptr<http::Stream> stream) {
    stream->Defer();  // answered from the backend thread, see OnAnswers
    runtime::MutexLock lock(mutex_);
    jobs_.push_back({request, std::move(stream)});
    cv_.NotifyOne();
  };
  server.HandleStream("GET", "/api/", queue_job);
  server.HandleStream("POST", "/api/", queue_job);
  server.HandleStream("GET", "/api/events",
                      [this](const http::Request&, std::shared_ptr<http::Stream> stream) {
                        stream->SendComment("dcp-monitor");
                        if (!last_snapshot_.empty()) stream->SendEvent(last_snapshot_, "snapshot");
                        clients_.push_back(std::move(stream));
                      });
}

MonitorService::~MonitorService() { Stop(); }

void MonitorService::Start() {
  answers_.Start();
  thread_ = std::thread([this] { BackendLoop(); });
}

void MonitorService::Stop() {
  {
    runtime::MutexLock lock(mutex_);
    stopping_ = true;
  }
  cv_.NotifyAll();
  if (thread_.joinable()) thread_.join();
  answers_.Stop();
}

void MonitorService::BackendLoop() {
  std::optional<Backend> backend;
  std::string backend_error;
  QueueHistory history(settings_.history);
  json queue_now = json::object();
  auto next_refresh = std::chrono::steady_clock::now();
  auto connect = [&] {
    if (backend) return true;
    try {
      backend = make_backend_();
      backend_error.clear();
    } catch (const std::exception& e) {
      if (backend_error != e.what()) spdlog::warn("monitor backend: {}", e.what());
      backend_error = e.what();
    }
    return backend.has_value();
  };
  ApiActions actions;
  actions.queue = [&] {
    json q = queue_now;
    q["history"] = history.ToJson();
    return q;
  };
  actions.trigger = [&](const planning::RunParameters& p) { return backend->trigger(p); };
  actions.publish_requeued = [&](const RunId& run) { return backend->publish_requeued(run); };

  for (;;) {
    std::optional<Job> job;
    {
      runtime::MutexLock lock(mutex_);
      while (!stopping_ && jobs_.empty() && cv_.WaitUntil(mutex_, next_refresh)) {
      }
      if (stopping_) return;
      if (!jobs_.empty()) {
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
    }
    if (job) {
      http::Response response = ErrorResponse(503, "database unreachable: " + backend_error);
      if (connect()) {
        try {
          response =
              Api(*backend->store, *backend->store, actions, settings_.api).Handle(job->request);
        } catch (const DbError& e) {
          response = ErrorResponse(503, e.what());
          if (e.transient()) backend.reset();
        } catch (const std::exception& e) {
          response = ErrorResponse(503, e.what());
        }
      }
      answers_.Post({std::move(job->stream), std::move(response), {}});
      continue;
    }
    next_refresh = std::chrono::steady_clock::now() + settings_.refresh;
    if (!connect()) continue;
    json snapshot = json::object();
    try {
      const QueueSample q = backend->inspect_queue();
      history.Add(Now(), q.depth);
      queue_now = {{"queue", q.queue},
                   {"depth", q.depth},
                   {"consumers", q.consumers},
                   {"dead", q.dead},
                   {"error", nullptr}};
    } catch (const std::exception& e) {
      queue_now["error"] = e.what();
    }
    try {
      Api api(*backend->store, *backend->store, actions, settings_.api);
      http::Request get;
      get.method = "GET";
      for (const char* what : {"runs", "workers", "queue"}) {
        get.path = std::string("/api/") + what;
        get.query =
            std::string(what) == "runs" ? "limit=" + std::to_string(settings_.snapshot_runs) : "";
        snapshot[what] = json::parse(api.Handle(get).body);
      }
    } catch (const std::exception& e) {
      snapshot = {{"error", e.what()}};
      backend.reset();
    }
    snapshot["at"] = views::FormatUtc(Now());
    answers_.Post({nullptr, {}, snapshot.dump()});
  }
}

void MonitorService::OnAnswers(std::deque<Answer>& answers) {
  for (auto& a : answers) {
    if (a.stream) {
      a.stream->Reject(a.response);  // false if the client has gone: nothing to do
      continue;
    }
    last_snapshot_ = a.snapshot;
    std::erase_if(clients_, [&](const std::shared_ptr<http::Stream>& s) {
      return !s->SendEvent(a.snapshot, "snapshot");
    });
  }
}

}  // namespace dcp::monitor
