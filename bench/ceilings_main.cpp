// dcp-bench-ceilings: what this machine's broker and database can do at
// most, so that the pipeline's figures read as a fraction of the possible.
// Prints "key value" lines:
//   broker_publish_confirmed_per_s   persistent messages published with confirms
//   broker_consume_acked_per_s       the same messages consumed and acked (acks
//                                    grouped per loop iteration, as a worker does)
//   db_single_row_writes_per_s       autocommit single-row status updates
//   db_batched_rows_per_s            rows written in multi-row statements
//   cpu_spin_2ms_efficiency          one thread per core spinning 2 ms CPU slices,
//                                    nothing else of dcp running: the ceiling of
//                                    the benchmark's CPU-work efficiency
#include <ev.h>
#include <time.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "amqp/amqp_url.hpp"
#include "amqp/confirm_publisher.hpp"
#include "amqp/consumer.hpp"
#include "amqp/queue_topology.hpp"
#include "mysql/driver.hpp"
#include "mysql/mysql_url.hpp"
#include "mysql/session.hpp"

namespace {

using Clock = std::chrono::steady_clock;
double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

class CountingHandler final : public dcp::amqp::ConsumerHandler {
 public:
  CountingHandler(struct ev_loop* loop, std::size_t expected) : loop_(loop), expected_(expected) {}
  void Attach(dcp::amqp::Consumer* consumer) { consumer_ = consumer; }
  void OnDelivery(dcp::amqp::Delivery d) override {
    consumer_->Ack(d.ref);
    if (++received_ == expected_) ev_break(loop_, EVBREAK_ALL);
  }
  std::size_t received() const { return received_; }

 private:
  struct ev_loop* loop_;
  std::size_t expected_;
  std::size_t received_ = 0;
  dcp::amqp::Consumer* consumer_ = nullptr;
};

void Broker(const dcp::amqp::AmqpUrl& url, std::size_t messages) {
  dcp::amqp::PublisherOptions options;
  options.connection.nodes = {url};
  options.queue.name = "dcp.bench.ceiling";
  const std::vector<std::string> bodies(messages, std::string(180, 'x'));
  {
    dcp::amqp::ConfirmPublisher publisher(options);
    const auto start = Clock::now();
    publisher.PublishConfirmed(bodies);
    std::printf("broker_publish_confirmed_per_s %.0f\n",
                static_cast<double>(messages) / Since(start));
  }
  struct ev_loop* loop = ev_loop_new(EVFLAG_AUTO);
  CountingHandler handler(loop, messages);
  dcp::amqp::ConsumerOptions consumer_options;
  consumer_options.connection.nodes = {url};
  consumer_options.queues = {options.queue};
  consumer_options.prefetch = 500;
  {
    dcp::amqp::Consumer consumer(loop, consumer_options, handler);
    handler.Attach(&consumer);
    const auto start = Clock::now();
    consumer.Start();
    ev_run(loop, 0);
    std::printf("broker_consume_acked_per_s %.0f\n",
                static_cast<double>(handler.received()) / Since(start));
    consumer.Close();
  }
  ev_loop_destroy(loop);
  dcp::amqp::Connection connection(options.connection);
  for (const auto& q :
       {options.queue.name, options.queue.DeadLetterName(), options.queue.RetryName()}) {
    dcp::amqp::DeleteQueue(connection, q);
  }
}

void Database(const dcp::mysql::MysqlUrl& url, int rows) {
  dcp::mysql::Session session(url);
  session.Execute("DROP TABLE IF EXISTS bench_ceiling");
  session.Execute(
      "CREATE TABLE bench_ceiling (id INT PRIMARY KEY, task_status VARCHAR(16)) ENGINE=InnoDB");
  auto start = Clock::now();
  for (int i = 0; i < rows; ++i) {
    session.Execute("INSERT INTO bench_ceiling VALUES (?, 'STARTED')", {std::int64_t{i}});
  }
  std::printf("db_single_row_writes_per_s %.0f\n", rows / Since(start));
  constexpr int kBatch = 500;
  start = Clock::now();
  for (int base = 0; base < rows * 10; base += kBatch) {
    std::string sql = "INSERT INTO bench_ceiling VALUES ";
    std::vector<dcp::mysql::Value> params;
    for (int i = 0; i < kBatch; ++i) {
      sql += i ? ",(?, 'QUEUED')" : "(?, 'QUEUED')";
      params.emplace_back(std::int64_t{rows + base + i});
    }
    session.Execute(sql, params);
  }
  std::printf("db_batched_rows_per_s %.0f\n", rows * 10 / Since(start));
  session.Execute("DROP TABLE bench_ceiling");
}

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

void Cpu(int slices) {
  const unsigned cores = std::max(1U, std::thread::hardware_concurrency());
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (unsigned c = 0; c < cores; ++c) {
    threads.emplace_back([slices] {
      for (int i = 0; i < slices; ++i) {
        const double begin = ThreadCpuSeconds();
        while (ThreadCpuSeconds() - begin < 0.002) {
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  std::printf("cpu_spin_2ms_efficiency %.3f\n", slices * 0.002 / Since(start));
}

}  // namespace

int main(int argc, char** argv) {
  std::string amqp_url, mysql_url;
  std::size_t messages = 100000;
  int rows = 3000;
  int slices = 1000;
  CLI::App app{"dcp-bench-ceilings: broker and database ceilings of this machine"};
  app.add_option("--amqp-url", amqp_url)->required();
  app.add_option("--mysql-url", mysql_url)->required();
  app.add_option("--messages", messages)->capture_default_str();
  app.add_option("--rows", rows)->capture_default_str();
  app.add_option("--cpu-slices", slices, "2 ms slices per thread")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  const auto amqp = dcp::amqp::AmqpUrl::Parse(amqp_url);
  const auto mysql = dcp::mysql::MysqlUrl::Parse(mysql_url);
  if (!amqp || !mysql) {
    std::fprintf(stderr, "dcp-bench-ceilings: bad URL\n");
    return 2;
  }
  try {
    Broker(*amqp, messages);
    dcp::mysql::InitDriver();
    Database(*mysql, rows);
    Cpu(slices);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dcp-bench-ceilings: %s\n", e.what());
    return 1;
  }
  return 0;
}
