#include "monitor/monitor_service.hpp"

#include <spdlog/spdlog.h>

#include <atomic>

#include "monitor/monitor_metrics.hpp"
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
                               BackendFactory make_backend, MonitorSettings settings,
                               MonitorMetrics* metrics)
    : settings_(std::move(settings)),
      make_backend_(std::move(make_backend)),
      metrics_(metrics),
      answers_(loop, [this](std::deque<Answer>& answers) { OnAnswers(answers); }) {
  // Answered from the backend thread (see OnAnswers). The server bounds how
  // many wait (so jobs_ is bounded too) and for how long; a job whose client
  // has gone, or whose deadline passed, is dropped by the backend.
  auto queue_job = [this](const http::Request& request, std::shared_ptr<http::Stream> stream) {
    auto gone = std::make_shared<std::atomic<bool>>(false);
    stream->OnClose([gone] { gone->store(true); });
    runtime::MutexLock lock(mutex_);
    jobs_.push_back({request, std::move(stream), std::move(gone)});
    cv_.NotifyOne();
  };
  server.HandleDeferred("GET", "/api/", queue_job);
  server.HandleDeferred("POST", "/api/", queue_job);
  server.HandleStream("GET", "/api/events",
                      [this](const http::Request& request, std::shared_ptr<http::Stream> stream) {
                        if (auto denied = ReadDenied(request, settings_.api)) {
                          stream->Reject(*denied);
                          return;
                        }
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
  auto next_prune = std::chrono::steady_clock::now();
  // The snapshot's own reads need no token.
  ApiSettings internal = settings_.api;
  internal.read_token.clear();
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
      // A queue of requests must not stop the snapshots: a due refresh first.
      if (!jobs_.empty() && std::chrono::steady_clock::now() < next_refresh) {
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
    }
    if (job) {
      if (job->gone->load()) continue;  // the client left, or was answered 503 in the meantime
      // The details go to the log, not to the client.
      http::Response response = ErrorResponse(503, "database unavailable");
      if (connect()) {
        try {
          response =
              Api(*backend->store, *backend->store, actions, settings_.api).Handle(job->request);
        } catch (const DbError& e) {
          spdlog::warn("monitor {} {}: {}", job->request.method, job->request.path, e.what());
          if (e.transient()) backend.reset();
        } catch (const std::exception& e) {
          spdlog::warn("monitor {} {}: {}", job->request.method, job->request.path, e.what());
          response = ErrorResponse(503, "broker or database unavailable");
        }
      }
      answers_.Post({std::move(job->stream), std::move(response), {}});
      continue;
    }
    next_refresh = std::chrono::steady_clock::now() + settings_.refresh;
    if (metrics_) metrics_->SetSchedule(Now());
    if (!connect()) {
      if (metrics_) metrics_->SetBackendUp(false);
      continue;
    }
    json snapshot = json::object();
    bool up = true;
    try {
      const QueueSample q = backend->inspect_queue();
      if (metrics_) metrics_->SetQueue(q);
      history.Add(Now(), q.depth);
      queue_now = {{"queue", q.queue},
                   {"depth", q.depth},
                   {"consumers", q.consumers},
                   {"dead", q.dead},
                   {"error", nullptr}};
    } catch (const std::exception& e) {
      spdlog::debug("monitor queue sample: {}", e.what());
      queue_now["error"] = "broker unavailable";
      up = false;
    }
    if (std::chrono::steady_clock::now() >= next_prune) {
      next_prune = std::chrono::steady_clock::now() + std::chrono::minutes(10);
      try {
        if (const auto pruned = backend->store->PruneWorkers(settings_.worker_retention, 10000)) {
          spdlog::info("monitor: pruned {} worker rows older than {} s", pruned,
                       settings_.worker_retention.count());
        }
      } catch (const std::exception& e) {
        spdlog::warn("monitor: pruning worker rows: {}", e.what());
      }
    }
    try {
      Api api(*backend->store, *backend->store, actions, internal);
      http::Request get;
      get.method = "GET";
      for (const char* what : {"runs", "workers", "queue"}) {
        get.path = std::string("/api/") + what;
        get.query =
            std::string(what) == "runs" ? "limit=" + std::to_string(settings_.snapshot_runs) : "";
        snapshot[what] = json::parse(api.Handle(get).body);
      }
      if (metrics_) metrics_->Refresh(*backend->store, Now());
    } catch (const std::exception& e) {
      spdlog::debug("monitor snapshot: {}", e.what());
      snapshot = {{"error", "database unavailable"}};
      backend.reset();
      up = false;
    }
    if (metrics_) metrics_->SetBackendUp(up);
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
