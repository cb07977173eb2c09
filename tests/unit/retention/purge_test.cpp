#include "retention/purge.hpp"

#include <gtest/gtest.h>

#include <map>

namespace dcp::retention {
namespace {

using std::chrono::milliseconds;

// The logic's double: runs with a number of rows each, expired or not; the
// run's own row is deleted last, when its other rows are gone.
class FakeRetentionStore final : public RetentionStore {
 public:
  struct Run {
    std::size_t rows = 0;
    bool expired = true;
  };
  std::vector<std::pair<RunId, Run>> runs;  // oldest first
  std::size_t orphans = 0;
  bool claim_free = true;
  bool claimed = false;
  int batches_until_claim_lost = -1;  // -1: never lost
  std::vector<std::string> calls;     // "claim", "delete", "release"

  RunId Add(std::size_t rows, bool expired = true) {
    runs.push_back({RunId::New(), Run{rows, expired}});
    return runs.back().first;
  }

  bool ClaimPurge() override {
    calls.emplace_back("claim");
    claimed = claim_free;
    return claimed;
  }
  bool PurgeClaimHeld() override { return claimed && batches_until_claim_lost != 0; }
  void ReleasePurge() override {
    calls.emplace_back("release");
    claimed = false;
  }
  std::vector<ExpiredRun> ExpiredRuns(std::chrono::seconds, std::size_t limit) override {
    std::vector<ExpiredRun> out;
    for (const auto& [id, run] : runs) {
      if (run.expired && out.size() < limit)
        out.push_back(ExpiredRun{id, "reference", "FINISHED", ""});
    }
    return out;
  }
  std::uint64_t CountRows(const RunId& id) override { return Find(id)->second.rows + 1; }
  PurgeBatch DeleteBatch(const RunId& id, std::chrono::seconds, std::size_t batch) override {
    calls.emplace_back("delete");
    if (batches_until_claim_lost > 0) --batches_until_claim_lost;
    PurgeBatch done;
    const auto it = Find(id);
    if (it == runs.end()) {
      done.run_gone = true;
    } else if (!it->second.expired) {
      done.kept = true;
    } else if (it->second.rows == 0) {
      runs.erase(it);
      done.rows = 1;
      done.run_gone = true;
    } else {
      done.rows = std::min(batch, it->second.rows);
      it->second.rows -= done.rows;
    }
    return done;
  }
  std::size_t DeleteOrphans(std::chrono::seconds, std::size_t batch) override {
    calls.emplace_back("delete");
    const std::size_t n = std::min(batch, orphans);
    orphans -= n;
    return n;
  }
  std::uint64_t CountOrphans(std::chrono::seconds) override { return orphans; }

 private:
  std::vector<std::pair<RunId, Run>>::iterator Find(const RunId& id) {
    return std::find_if(runs.begin(), runs.end(), [&](const auto& r) { return r.first == id; });
  }
};

struct Pauses {
  std::vector<milliseconds> seen;
  Pause Recorder() {
    return [this](milliseconds d) { seen.push_back(d); };
  }
};

PurgeOptions Batches(std::size_t batch) {
  PurgeOptions options;
  options.batch = batch;
  options.pause = milliseconds(7);
  return options;
}

TEST(Purge, DeletesEveryExpiredRunBatchByBatchPausingBetweenBatchesAndLeavesTheOthers) {
  FakeRetentionStore store;
  const RunId a = store.Add(25);
  const RunId active = store.Add(40, /*expired=*/false);
  const RunId b = store.Add(3);
  store.orphans = 12;
  Pauses pauses;
  const PurgeReport report = Purge(store, Batches(10), pauses.Recorder());
  EXPECT_EQ(report.status, PurgeReport::Status::kDone);
  ASSERT_EQ(report.runs.size(), 2u);
  EXPECT_EQ(report.runs[0].run, a);
  EXPECT_EQ(report.runs[1].run, b);
  EXPECT_EQ(report.rows, 25u + 1 + 3 + 1 + 12);
  EXPECT_EQ(report.orphans, 12u);
  ASSERT_EQ(store.runs.size(), 1u);
  EXPECT_EQ(store.runs[0].first, active);
  EXPECT_EQ(store.runs[0].second.rows, 40u);
  EXPECT_EQ(store.orphans, 0u);
  // a: 10, 10, 5 then its row; b: 3 then its row; orphans: 10, 2. A pause
  // after each batch that left rows behind.
  EXPECT_EQ(pauses.seen.size(), 3u + 1 + 2);
  for (const milliseconds d : pauses.seen) EXPECT_EQ(d, milliseconds(7));
  EXPECT_EQ(store.calls.front(), "claim");
  EXPECT_EQ(store.calls.back(), "release");
}

TEST(Purge, DoesNothingWhileAnotherProcessHoldsTheClaim) {
  FakeRetentionStore store;
  store.Add(5);
  store.claim_free = false;
  const PurgeReport report = Purge(store, Batches(10), Pauses().Recorder());
  EXPECT_EQ(report.status, PurgeReport::Status::kLocked);
  EXPECT_EQ(report.rows, 0u);
  EXPECT_EQ(store.runs[0].second.rows, 5u);
  EXPECT_EQ(std::count(store.calls.begin(), store.calls.end(), "delete"), 0);
}

TEST(Purge, StopsBeforeTheNextBatchOnceTheClaimIsLost) {
  FakeRetentionStore store;
  store.Add(100);
  store.batches_until_claim_lost = 3;
  const PurgeReport report = Purge(store, Batches(10), Pauses().Recorder());
  EXPECT_EQ(report.status, PurgeReport::Status::kLockLost);
  EXPECT_EQ(report.rows, 30u);
  EXPECT_EQ(store.runs[0].second.rows, 70u);
  EXPECT_EQ(std::count(store.calls.begin(), store.calls.end(), "delete"), 3);
}

TEST(Purge, LeavesARunThatBecameActiveAndDoesNotLoopOnIt) {
  FakeRetentionStore store;
  const RunId run = store.Add(30);
  Pauses pauses;
  // Active again after its first batch: a producer sent it a task.
  const PurgeReport report = Purge(store, Batches(10), [&](milliseconds d) {
    pauses.seen.push_back(d);
    store.runs[0].second.expired = false;
  });
  EXPECT_EQ(report.status, PurgeReport::Status::kDone);
  EXPECT_EQ(report.kept, 1u);
  EXPECT_TRUE(report.runs.empty());
  EXPECT_EQ(report.rows, 10u);
  ASSERT_EQ(store.runs.size(), 1u);
  EXPECT_EQ(store.runs[0].first, run);
  EXPECT_EQ(store.runs[0].second.rows, 20u);
}

TEST(Purge, ADryRunCountsWhatWouldGoAndClaimsAndDeletesNothing) {
  FakeRetentionStore store;
  store.Add(25);
  store.Add(8, /*expired=*/false);
  store.orphans = 4;
  PurgeOptions options = Batches(10);
  options.dry_run = true;
  const PurgeReport report = Purge(store, options, Pauses().Recorder());
  EXPECT_EQ(report.status, PurgeReport::Status::kDone);
  EXPECT_EQ(report.runs.size(), 1u);
  EXPECT_EQ(report.rows, 26u + 4);
  EXPECT_EQ(report.orphans, 4u);
  EXPECT_TRUE(store.calls.empty());
  EXPECT_EQ(store.runs.size(), 2u);
}

TEST(Purge, StopsWhenItsBudgetIsSpentAndReleasesTheClaim) {
  FakeRetentionStore store;
  store.Add(100);
  PurgeOptions options = Batches(10);
  options.budget = milliseconds(0);
  const PurgeReport report = Purge(store, options, Pauses().Recorder());
  EXPECT_EQ(report.status, PurgeReport::Status::kDeadline);
  EXPECT_EQ(report.rows, 0u);
  EXPECT_EQ(store.calls.back(), "release");
  EXPECT_FALSE(store.claimed);
}

TEST(Purge, StopsBeforeTheNextBatchWhenAnotherThreadAsksIt) {
  FakeRetentionStore store;
  store.Add(100);
  std::atomic<bool> stop{false};
  PurgeOptions options = Batches(10);
  options.stop = &stop;
  // The second pause asks it to stop: two batches, no third.
  int pauses = 0;
  const PurgeReport report = Purge(store, options, [&](milliseconds) {
    if (++pauses == 2) stop = true;
  });
  EXPECT_EQ(report.status, PurgeReport::Status::kDeadline);
  EXPECT_EQ(report.rows, 20u);
  EXPECT_EQ(store.calls.back(), "release");
}

TEST(ParseAge, TakesAWholeNumberAndAUnit) {
  EXPECT_EQ(ParseAge("90d").value(), std::chrono::hours(24 * 90));
  EXPECT_EQ(ParseAge("12h").value(), std::chrono::hours(12));
  EXPECT_EQ(ParseAge("30m").value(), std::chrono::minutes(30));
  EXPECT_EQ(ParseAge("45s").value(), std::chrono::seconds(45));
  EXPECT_EQ(ParseAge("3650d").value(), std::chrono::hours(24 * 3650));
  for (const char* bad : {"", "d", "90", "0d", "-1d", "1.5d", "90y", "d90", " 90d", "3651d"}) {
    EXPECT_FALSE(ParseAge(bad)) << bad;
  }
}

}  // namespace
}  // namespace dcp::retention
