#pragma once
// What the contract suites (task_store_contract.hpp, run_store_contract.hpp)
// need of a store implementation, and helpers shared by both.
//
// A Stores class is a ::testing::Test that gives, after its SetUp, a fresh
// empty store pair of one implementation:
//   RunStore& runs();  TaskStore& tasks();  (the same database)
//   TaskCounts Counters(const RunId&);      the run's own counters of
//       finished / failed / cancelled tasks (the fake derives them from rows)
// The suites read everything else through the ports.
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "domain/ids.hpp"
#include "domain/task_message.hpp"
#include "ports/run_store.hpp"
#include "ports/task_store.hpp"

namespace dcp::contract {

inline LocalMinute Minute(const char* text) { return ParseLocalMinute(text).value(); }

// A leader run of `n` tasks (selection "s<seq>", one day each, in order).
inline std::vector<PlannedTask> PlanTasks(int n) {
  std::vector<PlannedTask> tasks;
  for (int i = 1; i <= n; ++i) {
    const std::string day = "2023-01-" + std::string(i < 10 ? "0" : "") + std::to_string(i);
    tasks.push_back(PlannedTask{TaskId::New(), i, "s" + std::to_string(i),
                                Minute((day + " 00:00").c_str()),
                                Minute((day + " 23:59").c_str())});
  }
  return tasks;
}

// A run of `job` (the reference one unless said).
inline NewRun MakeRun(const RunId& id, const std::string& job = "reference") {
  RunContext context{"Europe/Amsterdam", R"({"feeders":[]})"};
  context.job_name = job;
  context.job_sha256 = std::string(64, 'a');
  return NewRun{id, "manual", R"({"from":"2023-01-01"})", std::move(context), "name: " + job};
}

inline TaskMessage MessageOf(const RunId& run, const PlannedTask& t) {
  return TaskMessage{run, t.id, t.selection, t.start, t.end};
}

// A message of a task that has no row (another producer's).
inline TaskMessage UnplannedMessage(const RunId& run) {
  return TaskMessage{run, TaskId::New(), "x", Minute("2023-02-01 00:00"),
                     Minute("2023-02-01 23:59")};
}

inline std::vector<const TaskMessage*> Pointers(const std::vector<TaskMessage>& messages) {
  std::vector<const TaskMessage*> out;
  for (const auto& m : messages) out.push_back(&m);
  return out;
}

// RecordBatch with only starts, or only finishes.
inline std::vector<std::optional<StartResult>> StartTasks(
    TaskStore& store, const std::vector<const TaskMessage*>& tasks, std::string_view worker) {
  return store.RecordBatch({}, tasks, worker).started;
}
inline std::vector<bool> FinishTasks(TaskStore& store, const std::vector<FinishItem>& items) {
  return store.RecordBatch(items, {}, "").finished;
}

// The suites' fixture: a Stores class plus a planned run.
template <class Stores>
class StoreContract : public Stores {
 protected:
  // A run of `n` tasks of `job`, published and RUNNING.
  RunId RunningRun(int n, const std::string& job = "reference") {
    const RunId run = RunId::New();
    planned_[run] = PlanTasks(n);
    this->runs().CreateRun(MakeRun(run, job), planned_[run]);
    this->runs().MarkPublished(run, n);
    this->runs().MarkRunning(run);
    return run;
  }
  TaskMessage Message(const RunId& run, int i) {
    return MessageOf(run, planned_.at(run).at(static_cast<std::size_t>(i)));
  }
  const PlannedTask& Planned(const RunId& run, int i) {
    return planned_.at(run).at(static_cast<std::size_t>(i));
  }
  // The task as the read model shows it.
  TaskView View(const RunId& run, const TaskId& task) {
    for (const TaskView& v : this->runs().ListTasks(run, std::nullopt, 1000, 0)) {
      if (v.id == task) return v;
    }
    ADD_FAILURE() << "no task " << task.ToString() << " in run " << run.ToString();
    return {};
  }
  TaskStatus StatusOf(const RunId& run, const TaskId& task) { return View(run, task).status; }
  RunSummary Run(const RunId& run) {
    auto summary = this->runs().GetRun(run);
    if (!summary) ADD_FAILURE() << "no run " << run.ToString();
    return summary.value_or(RunSummary{});
  }
  // The run's counters equal its rows.
  void ExpectCountersMatchRows(const RunId& run) {
    const TaskCounts counters = this->Counters(run);
    const TaskCounts rows = Run(run).counts;
    EXPECT_EQ(counters.finished, rows.finished);
    EXPECT_EQ(counters.failed, rows.failed);
    EXPECT_EQ(counters.cancelled, rows.cancelled);
  }

  std::map<RunId, std::vector<PlannedTask>> planned_;
  TaskResult result_{"ref", "body\n"};
};

}  // namespace dcp::contract
