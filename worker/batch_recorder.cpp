#include "worker/batch_recorder.hpp"

#include <spdlog/spdlog.h>

#include <exception>
#include <utility>

namespace dcp::worker {

BatchRecorder::BatchRecorder(TaskStore& store, runtime::DbRetry& retry,
                             const processing::ProcessorSettings& settings)
    : store_(store), retry_(retry), settings_(settings) {}

RecordedRound BatchRecorder::Record(std::vector<Job> starting, std::vector<Finishing> finishing) {
  std::vector<const TaskMessage*> tasks;
  for (Job& job : starting) {
    auto decoded = DecodeTaskMessage(job.body);
    if (decoded) {
      job.task = std::move(decoded).value();
      tasks.push_back(&*job.task);
    } else {
      job.malformed = decoded.reason();
    }
  }
  std::vector<FinishItem> items;
  items.reserve(finishing.size());
  for (const Finishing& f : finishing) {
    items.push_back({&f.task, &f.outcome.As<processing::Finish>()->result});
  }

  RecordedRound round;
  round.done.reserve(finishing.size());
  BatchRecord record;
  try {
    record = retry_([&] { return store_.RecordBatch(items, tasks, settings_.worker_id); });
    round.written = true;
    for (std::size_t i = 0; i < finishing.size(); ++i) {
      finishing[i].outcome.Recorded(record.finished.at(i));
      round.done.push_back(
          {finishing[i].ref, std::move(finishing[i].body), std::move(finishing[i].outcome)});
    }
  } catch (const runtime::Abandoned&) {
    round.done.clear();
    for (Finishing& f : finishing) round.done.push_back({f.ref, std::move(f.body), std::nullopt});
    for (Job& job : starting) round.done.push_back({job.ref, std::move(job.body), std::nullopt});
    return round;
  } catch (const std::exception& e) {
    spdlog::warn("recorder: batch write failed ({}); recording one by one", e.what());
    record.started.clear();
    for (Finishing& f : finishing) round.done.push_back(FinishOne(f));
  }
  std::size_t next = 0;
  for (Job& job : starting) {
    if (!job.task) continue;
    if (next < record.started.size()) job.start = record.started[next];
    ++next;
  }
  round.started = std::move(starting);
  return round;
}

Done BatchRecorder::FinishOne(Finishing& f) {
  Done done{f.ref, std::move(f.body), std::nullopt};
  try {
    try {
      const TaskResult& result = f.outcome.As<processing::Finish>()->result;
      f.outcome.Recorded(retry_([&] { return store_.FinishTask(f.task, result); }));
      done.outcome = std::move(f.outcome);
    } catch (const DbError& refused) {
      // Refused for good (DbRetry rethrows only those): the task fails with
      // the database's reason, the other tasks of the round go on.
      done.outcome = processing::FailUnrecordable(store_, retry_, settings_, f.task,
                                                  f.outcome.attempt, refused.what());
    }
  } catch (const runtime::Abandoned&) {
  } catch (const std::exception& e) {
    done.outcome = processing::Outcome::NotRecorded(e.what(), f.task.task_id, f.outcome.attempt);
  }
  return done;
}

}  // namespace dcp::worker
