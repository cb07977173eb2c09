#include "worker/settler.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "metrics/registry.hpp"

namespace dcp::worker {
namespace {

using processing::Acked;
using processing::DeadLetter;
using processing::Outcome;
using std::chrono::milliseconds;

// Records the settle calls as one line each.
class RecordingSettler final : public DeliverySettler {
 public:
  void Ack(amqp::DeliveryRef ref) override { calls.push_back("ack " + std::to_string(ref.tag)); }
  void Retry(amqp::DeliveryRef ref, std::string_view body, milliseconds delay,
             std::string_view reason) override {
    calls.push_back("retry " + std::to_string(ref.tag) + " " + std::string(body) + " " +
                    std::to_string(delay.count()) + "ms " + std::string(reason));
  }
  void DeadLetter(amqp::DeliveryRef ref, std::string_view body, std::string_view reason) override {
    calls.push_back("dead " + std::to_string(ref.tag) + " " + std::string(body) + " " +
                    std::string(reason));
  }
  std::vector<std::string> calls;
};

struct Counts {
  std::uint64_t finished, skipped, retried, failed;
  bool operator==(const Counts&) const = default;
};

class SettlerTest : public ::testing::Test {
 protected:
  Counts counts() const {
    return {metrics_.finished.Value(), metrics_.skipped.Value(), metrics_.retried.Value(),
            metrics_.failed.Value()};
  }

  metrics::Registry registry_;
  WorkerMetrics metrics_{registry_};
  RecordingSettler deliveries_;
  Settler settler_{deliveries_, metrics_};
};

TEST_F(SettlerTest, MapsEachDecisionToOneBrokerCallAndOneCounter) {
  struct Case {
    const char* what;
    Outcome::Decision decision;
    std::string call;
    Counts counts;
  };
  const Case cases[] = {
      {"finished", Acked{Acked::Kind::kFinished, {}}, "ack 7", {1, 0, 0, 0}},
      {"duplicate", Acked{Acked::Kind::kDuplicate, {}}, "ack 7", {0, 1, 0, 0}},
      {"skipped", Acked{Acked::Kind::kSkipped, "run cancelled"}, "ack 7", {0, 1, 0, 0}},
      {"retry",
       processing::Retry{milliseconds(5000), "boom"},
       "retry 7 {} 5000ms boom",
       {0, 0, 1, 0}},
      {"malformed",
       DeadLetter{DeadLetter::Kind::kMalformed, "malformed message: x"},
       "dead 7 {} malformed message: x",
       {0, 0, 0, 1}},
      {"failed",
       DeadLetter{DeadLetter::Kind::kFailed, "no such selection"},
       "dead 7 {} no such selection",
       {0, 0, 0, 1}},
      {"gave up",
       DeadLetter{DeadLetter::Kind::kGaveUp, "gave up"},
       "dead 7 {} gave up",
       {0, 0, 0, 1}},
      {"not recorded",
       DeadLetter{DeadLetter::Kind::kNotRecorded, "not recorded: x"},
       "dead 7 {} not recorded: x",
       {0, 0, 0, 1}},
  };
  for (const Case& c : cases) {
    metrics::Registry registry;
    WorkerMetrics metrics(registry);
    RecordingSettler deliveries;
    Settler settler(deliveries, metrics);
    settler.Settle({1, 7}, "{}", Outcome{c.decision, TaskId::New(), 1});
    EXPECT_EQ(deliveries.calls, std::vector<std::string>{c.call}) << c.what;
    const Counts got{metrics.finished.Value(), metrics.skipped.Value(), metrics.retried.Value(),
                     metrics.failed.Value()};
    EXPECT_EQ(got, c.counts) << c.what;
  }
}

TEST_F(SettlerTest, AnUnrecordedFinishIsDeadLetteredNotAcked) {
  settler_.Settle({1, 3}, "{}", Outcome{processing::Finish{TaskResult{"c", "r"}}, std::nullopt, 1});
  EXPECT_EQ(deliveries_.calls, std::vector<std::string>{"dead 3 {} finished, not recorded"});
  EXPECT_EQ(counts(), (Counts{0, 0, 0, 1}));
}

TEST_F(SettlerTest, SettlesEachDeliveryByItsOwnRef) {
  settler_.Settle({1, 1}, "a", Outcome{Acked{}, TaskId::New(), 1});
  settler_.Settle({1, 2}, "b", Outcome{processing::Retry{milliseconds(10), "x"}, std::nullopt, 2});
  EXPECT_EQ(deliveries_.calls, (std::vector<std::string>{"ack 1", "retry 2 b 10ms x"}));
  EXPECT_EQ(counts(), (Counts{1, 0, 1, 0}));
}

}  // namespace
}  // namespace dcp::worker
