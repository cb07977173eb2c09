#pragma once
// dcp-monitor's process: the HTTP server on a libev loop, and one backend
// thread that does every database and broker call.
//
// Threading: the loop thread never waits on a server. API requests are
// taken over as streams (http::Server::HandleStream), queued to the backend
// thread, answered there by Api, and the response is handed back through a
// runtime::LoopMailbox and sent from the loop (Stream::Reject). Every `refresh` the
// backend also samples the queue and pushes a snapshot (runs, workers,
// queue) that the loop broadcasts to the Server-Sent Events clients of
// /api/events. So a slow or unreachable database delays answers, never the
// loop, the page or the other clients.
#include <ev.h>

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "http/server.hpp"
#include "monitor/api.hpp"
#include "ports/run_store.hpp"
#include "runtime/loop_mailbox.hpp"
#include "runtime/mutex.hpp"

namespace dcp::monitor {

class MonitorMetrics;

struct QueueSample {
  std::string queue;
  std::int64_t depth = 0;      // ready messages
  std::int64_t consumers = 0;  // workers consuming
  std::int64_t dead = 0;       // messages in <queue>.dead
};

// What the backend thread uses, made on that thread by a factory. `keep`
// (connections, driver thread state) outlives the others.
struct Backend {
  std::shared_ptr<void> keep;
  std::shared_ptr<RunStore> store;
  std::function<QueueSample()> inspect_queue;  // throws AmqpError / UnavailableError
  std::function<Result<planning::RunOutcome>(const planning::RunParameters&)> trigger;
  std::function<std::int64_t(const RunId&)> publish_requeued;
};

struct MonitorSettings {
  ApiSettings api;
  std::chrono::milliseconds refresh{std::chrono::seconds(2)};  // snapshot and queue sample
  std::chrono::seconds history{std::chrono::minutes(10)};      // of the queue chart
  std::size_t snapshot_runs = 20;
  // Rows of workers last seen longer ago are deleted (every 10 minutes).
  std::chrono::seconds worker_retention{std::chrono::hours(24)};
};

class MonitorService {
 public:
  using BackendFactory = std::function<Backend()>;

  // Installs the routes (/api/..., /api/events) on `server`; the page's
  // routes are installed by the caller. Loop thread. `metrics`, if given,
  // is updated by the backend thread at each refresh and outlives the service.
  MonitorService(struct ev_loop* loop, http::Server& server, BackendFactory make_backend,
                 MonitorSettings settings, MonitorMetrics* metrics = nullptr);
  ~MonitorService();  // Stop()

  void Start();
  // Ends the backend thread; queued requests are dropped. Loop thread.
  void Stop();

 private:
  struct Job {
    http::Request request;
    std::shared_ptr<http::Stream> stream;     // touched on the loop thread only
    std::shared_ptr<std::atomic<bool>> gone;  // set on the loop when the stream closed
  };
  struct Answer {
    std::shared_ptr<http::Stream> stream;  // null: `snapshot` for every SSE client
    http::Response response;
    std::string snapshot;
  };

  void BackendLoop();
  void OnAnswers(std::deque<Answer>& answers);  // loop thread

  MonitorSettings settings_;
  BackendFactory make_backend_;
  MonitorMetrics* metrics_;  // null: none

  runtime::Mutex mutex_;
  runtime::CondVar cv_;  // jobs_ or stopping_
  std::deque<Job> jobs_ DCP_GUARDED_BY(mutex_);
  bool stopping_ DCP_GUARDED_BY(mutex_) = false;
  runtime::LoopMailbox<Answer> answers_;  // backend thread -> loop

  // Loop thread only.
  std::vector<std::shared_ptr<http::Stream>> clients_;
  std::string last_snapshot_;
  std::thread thread_;
};

}  // namespace dcp::monitor
