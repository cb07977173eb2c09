// dcp-bench-failover: what a broker node's loss costs dcp's own AMQP
// clients (the leader's ConfirmPublisher, the worker's Consumer) on a
// cluster. One thread publishes numbered messages one at a time, each
// confirmed, retrying through the next node on failure; the loop consumes
// and acks them. SIGUSR1 marks the moment of a kill (the benchmark sends it
// just before it kills a node). After --seconds it stops publishing, waits
// (--drain-seconds at most) for every confirmed message to arrive, and prints
// "key value" lines:
//   failover_confirmed           messages confirmed
//   failover_lost                confirmed and never consumed (must be 0)
//   failover_duplicates          consumed more than once (at-least-once: allowed)
//   failover_redelivered         deliveries flagged redelivered by the broker
//   failover_confirm_pause_ms    the longest wait between two confirms after
//                                the mark: how long publishing stopped
//   failover_ack_pause_ms        the same between two acks
//   failover_confirm_pause_before_ms, failover_ack_pause_before_ms
//                                the same before the mark: the steady state
//   failover_publish_retries     publishes that failed and were sent again
//                                (10 ms apart)
// The mark comes some milliseconds before the node dies (the kill itself
// takes that long), so "from the mark to the next confirm" would often be
// a confirm of the node still alive: the longest gap after the mark is the
// outage.
#include <ev.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "amqp/amqp_url.hpp"
#include "amqp/confirm_publisher.hpp"
#include "amqp/consumer.hpp"
#include "amqp/queue_topology.hpp"
#include "infra/logging.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double MsBetween(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

// What both sides saw, in the order they saw it.
struct Record {
  std::mutex mutex;
  std::vector<Clock::time_point> confirms;  // confirms[i]: message i confirmed
  int publish_retries = 0;
};

class AckingHandler final : public dcp::amqp::ConsumerHandler {
 public:
  void Attach(dcp::amqp::Consumer* consumer) { consumer_ = consumer; }
  void OnDelivery(dcp::amqp::Delivery d) override {
    const std::size_t seq = std::stoul(d.body);
    if (seq >= seen_.size()) seen_.resize(seq + 1, 0);
    ++seen_[seq];
    if (d.redelivered) ++redelivered_;
    if (consumer_->Ack(d.ref)) acks_.push_back(Clock::now());
  }
  // How many of messages [0, n) arrived at least once, and more than once.
  std::pair<std::size_t, std::size_t> Arrived(std::size_t n) const {
    std::size_t once = 0, again = 0;
    for (std::size_t i = 0; i < n && i < seen_.size(); ++i) {
      once += seen_[i] > 0;
      again += seen_[i] > 1;
    }
    return {once, again};
  }
  const std::vector<Clock::time_point>& acks() const { return acks_; }
  int redelivered() const { return redelivered_; }

 private:
  dcp::amqp::Consumer* consumer_ = nullptr;
  std::vector<int> seen_;
  std::vector<Clock::time_point> acks_;
  int redelivered_ = 0;
};

std::atomic<bool> g_stop{false};
std::atomic<Clock::rep> g_mark{0};  // time_since_epoch of SIGUSR1, 0 before

void Publish(const dcp::amqp::PublisherOptions& options, Record& record) {
  dcp::amqp::ConfirmPublisher publisher(options);
  for (std::size_t seq = 0; !g_stop.load();) {
    const std::vector<std::string> body{std::to_string(seq)};
    try {
      publisher.PublishConfirmed(body);
    } catch (const std::exception&) {
      // Unconfirmed: sent again (maybe a duplicate), through the next node.
      {
        std::lock_guard lock(record.mutex);
        ++record.publish_retries;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    std::lock_guard lock(record.mutex);
    record.confirms.push_back(Clock::now());
    ++seq;
  }
}

// The longest gap between two consecutive times of `times` that both lie
// after `mark` (after = true) or before it, in ms; 0 if there are not two.
double LongestGap(const std::vector<Clock::time_point>& times, Clock::time_point mark, bool after) {
  double longest = 0;
  for (std::size_t i = 1; i < times.size(); ++i) {
    if ((times[i - 1] >= mark) != after || (times[i] >= mark) != after) continue;
    longest = std::max(longest, MsBetween(times[i - 1], times[i]));
  }
  return longest;
}

}  // namespace

int main(int argc, char** argv) {
  std::string urls, queue = "dcp.bench.failover";
  double seconds = 20, drain_seconds = 60;
  CLI::App app{"dcp-bench-failover: a broker node's loss as dcp's clients see it"};
  app.add_option("--amqp-url", urls, "one URL or a comma-separated list")->required();
  app.add_option("--queue", queue)->capture_default_str();
  app.add_option("--seconds", seconds, "how long to publish")->capture_default_str();
  app.add_option("--drain-seconds", drain_seconds)->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  const auto nodes = dcp::amqp::ParseNodes(urls);
  if (!nodes) {
    std::fprintf(stderr, "dcp-bench-failover: %s\n", nodes.reason().c_str());
    return 2;
  }
  // Logs (the clients' reconnects) on stderr: stdout carries the figures.
  if (auto logging = dcp::InitLogging({"warn", "text"}, "failover"); !logging) return 2;
  std::signal(SIGUSR1, [](int) { g_mark.store(Clock::now().time_since_epoch().count()); });

  dcp::amqp::PublisherOptions publisher_options;
  publisher_options.connection.nodes = *nodes;
  publisher_options.queue.name = queue;
  publisher_options.confirm_timeout = std::chrono::seconds(10);
  struct ev_loop* loop = ev_loop_new(EVFLAG_AUTO);
  AckingHandler handler;
  dcp::amqp::ConsumerOptions consumer_options;
  consumer_options.connection.nodes = *nodes;
  consumer_options.queues = {publisher_options.queue};
  consumer_options.prefetch = 100;
  Record record;
  int status = 0;
  try {
    dcp::amqp::Consumer consumer(loop, consumer_options, handler);
    handler.Attach(&consumer);
    consumer.Start();
    std::thread publisher([&] {
      try {
        Publish(publisher_options, record);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "dcp-bench-failover: publisher: %s\n", e.what());
      }
    });
    // Publish for `seconds`, then drain; a timer looks every 50 ms.
    struct Watch {
      ev_timer timer;
      std::function<bool()> done;
    } watch;
    const auto stop_at = Clock::now() + std::chrono::duration<double>(seconds);
    const auto give_up_at = stop_at + std::chrono::duration<double>(drain_seconds);
    bool drained = false;
    watch.done = [&] {
      if (Clock::now() < stop_at) return false;
      if (!g_stop.exchange(true)) publisher.join();
      std::lock_guard lock(record.mutex);
      drained = handler.Arrived(record.confirms.size()).first == record.confirms.size();
      return drained || Clock::now() >= give_up_at;
    };
    ev_timer_init(
        &watch.timer,
        [](struct ev_loop* l, ev_timer* t, int) {
          if (static_cast<Watch*>(t->data)->done()) ev_break(l, EVBREAK_ALL);
        },
        0.05, 0.05);
    watch.timer.data = &watch;
    ev_timer_start(loop, &watch.timer);
    ev_run(loop, 0);
    ev_timer_stop(loop, &watch.timer);
    if (publisher.joinable()) {  // the loop ended otherwise
      g_stop = true;
      publisher.join();
    }
    consumer.Close();
    const std::size_t confirmed = record.confirms.size();
    const auto [arrived, twice] = handler.Arrived(confirmed);
    std::printf("failover_confirmed %zu\n", confirmed);
    std::printf("failover_lost %zu\n", confirmed - arrived);
    std::printf("failover_duplicates %zu\n", twice);
    std::printf("failover_redelivered %d\n", handler.redelivered());
    std::printf("failover_publish_retries %d\n", record.publish_retries);
    if (const auto mark = g_mark.load(); mark != 0) {
      const Clock::time_point at{Clock::duration(mark)};
      // After the mark: a gap that starts at the last confirm before it counts too.
      const auto before_mark = [at](const std::vector<Clock::time_point>& times) {
        auto first_after = std::lower_bound(times.begin(), times.end(), at);
        return first_after == times.begin() ? at : *(first_after - 1);
      };
      std::printf("failover_confirm_pause_ms %.0f\n",
                  LongestGap(record.confirms, before_mark(record.confirms), true));
      std::printf("failover_ack_pause_ms %.0f\n",
                  LongestGap(handler.acks(), before_mark(handler.acks()), true));
      std::printf("failover_confirm_pause_before_ms %.0f\n",
                  LongestGap(record.confirms, at, false));
      std::printf("failover_ack_pause_before_ms %.0f\n", LongestGap(handler.acks(), at, false));
    }
    if (!drained) {
      std::fprintf(stderr, "dcp-bench-failover: %zu confirmed messages never arrived\n",
                   confirmed - arrived);
      status = 1;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dcp-bench-failover: %s\n", e.what());
    status = 1;
  }
  ev_loop_destroy(loop);
  return status;
}
