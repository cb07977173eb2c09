#include "processing/task_processor.hpp"

#include <algorithm>
#include <exception>
#include <optional>
#include <string>
#include <utility>

#include "domain/utf8.hpp"

namespace dcp::processing {
namespace {

// What a failure write's answer leaves to do: `applied` if it was written,
// an ack if the task ended meanwhile, else (another attempt holds the task)
// the message handed back.
Outcome AfterFailureWrite(const ProcessorSettings& settings, WriteOutcome written,
                          const TaskMessage& task, int attempt, Outcome::Decision applied) {
  switch (written) {
    case WriteOutcome::kApplied:
      return {std::move(applied), task.task_id, attempt};
    case WriteOutcome::kEnded:
      return {Acked{Acked::Kind::kSkipped, "ended meanwhile by another delivery"}, task.task_id,
              attempt};
    case WriteOutcome::kNotOwner:
      break;
  }
  return {Retry{RetryDelay(settings, attempt),
                "handed back: another delivery holds the task now (attempt " +
                    std::to_string(attempt) + " is stale)"},
          task.task_id, attempt};
}

// Why a computed result can never be stored, if it cannot.
std::optional<std::string> UnstorableResult(std::string_view body, std::size_t max_bytes) {
  if (body.size() > max_bytes) {
    return "result of " + std::to_string(body.size()) + " bytes is over the limit of " +
           std::to_string(max_bytes) + " bytes (DCP_MAX_RESULT_BYTES)";
  }
  if (const auto bad = FirstInvalidUtf8(body)) {
    return "result is not valid UTF-8 (byte " + std::to_string(*bad) +
           "): the result column holds text";
  }
  return std::nullopt;
}

}  // namespace

TaskProcessor::TaskProcessor(TaskStore& store, Computation& computation, RunContextCache& contexts,
                             runtime::DbRetry& retry, ProcessorSettings settings)
    : store_(store),
      computation_(computation),
      contexts_(contexts),
      retry_(retry),
      settings_(std::move(settings)) {}

Outcome TaskProcessor::Process(std::string_view body) {
  auto decoded = DecodeTaskMessage(body);
  if (!decoded) return Malformed(body, decoded.reason());
  Outcome outcome = Compute(*decoded, std::nullopt);
  if (const Finish* finish = outcome.As<Finish>()) {
    outcome.Recorded(retry_([&] { return store_.FinishTask(*decoded, finish->result); }));
  }
  return outcome;
}

Outcome TaskProcessor::Malformed(std::string_view body, const std::string& error) {
  const std::string reason = "malformed message: " + error;
  const PeekedIds ids = PeekIds(body);
  if (ids.task) {
    // Whatever the answer, the body cannot get better: dead-lettered.
    retry_([&] { return store_.FailTask(*ids.task, ids.run, kNotStarted, reason); });
  }
  return {DeadLetter{DeadLetter::Kind::kMalformed, reason}, ids.task, kNotStarted};
}

std::optional<std::string> JobMismatch(const ProcessorSettings& settings, const RunContext& run) {
  if (settings.job_sha256.empty() || run.job_name.empty()) return std::nullopt;  // not pinned
  if (run.job_name == settings.job_name && run.job_sha256 == settings.job_sha256)
    return std::nullopt;
  const auto short_hash = [](const std::string& sha) {
    return sha.empty() ? std::string("none") : sha.substr(0, 12);
  };
  return "job mismatch: the run was planned with job '" + run.job_name + "' (sha256 " +
         short_hash(run.job_sha256) + "), this worker has job '" + settings.job_name +
         "' (sha256 " + short_hash(settings.job_sha256) + "): not computed";
}

Outcome TaskProcessor::Compute(const TaskMessage& task, std::optional<StartResult> started) {
  const StartResult start =
      started ? *started : retry_([&] { return store_.StartTask(task, settings_.worker_id); });
  if (start.outcome == StartOutcome::kAlreadyFinished) {
    return {Acked{Acked::Kind::kSkipped, {}}, task.task_id, start.attempt};
  }
  if (start.outcome == StartOutcome::kCancelled) {
    return {Acked{Acked::Kind::kSkipped, "run cancelled"}, task.task_id, start.attempt};
  }
  if (start.attempt > settings_.max_attempts) {
    return Fail(task, DeadLetter::Kind::kGaveUp,
                "gave up after " + std::to_string(settings_.max_attempts) +
                    " attempts: the task never completed (worker crash or timeout)",
                start.attempt);
  }

  auto context = retry_([&] { return contexts_.Get(task.run_id, store_); });
  Result<std::string> result = Error{""};
  if (auto mismatch = JobMismatch(settings_, *context)) {
    result = Error{*mismatch};
  } else {
    try {
      result = computation_.Compute(task, *context, start.attempt);
    } catch (const std::exception& e) {
      result = Error{std::string("computation threw: ") + e.what()};
    }
  }
  if (!result) {
    if (result.permanent() || start.attempt >= settings_.max_attempts) {
      return Fail(task, DeadLetter::Kind::kFailed, result.reason(), start.attempt);
    }
    return Requeue(task, result.reason(), start.attempt);
  }
  if (const auto unstorable = UnstorableResult(*result, settings_.max_result_bytes)) {
    return Fail(task, DeadLetter::Kind::kFailed, *unstorable, start.attempt);
  }
  return {Finish{TaskResult{std::string(computation_.name()), std::move(result).value()}},
          task.task_id, start.attempt};
}

std::chrono::milliseconds RetryDelay(const ProcessorSettings& settings, int attempt) {
  auto delay = settings.retry_delay;
  for (int i = 1; i < attempt && delay < settings.max_retry_delay; ++i) delay *= 2;
  return std::min(delay, settings.max_retry_delay);
}

Outcome TaskProcessor::Fail(const TaskMessage& task, DeadLetter::Kind kind,
                            const std::string& reason, int attempt) {
  return AfterFailureWrite(settings_, retry_([&] {
                             return store_.FailTask(task.task_id, task.run_id, attempt, reason);
                           }),
                           task, attempt, DeadLetter{kind, reason});
}

Outcome TaskProcessor::Requeue(const TaskMessage& task, const std::string& reason, int attempt) {
  return AfterFailureWrite(
      settings_, retry_([&] { return store_.RequeueTask(task.task_id, attempt, reason); }), task,
      attempt, Retry{RetryDelay(settings_, attempt), reason});
}

Outcome FailUnrecordable(TaskStore& store, runtime::DbRetry& retry,
                         const ProcessorSettings& settings, const TaskMessage& task, int attempt,
                         const std::string& error) {
  const std::string reason = "result not recorded: " + error;
  return AfterFailureWrite(
      settings, retry([&] { return store.FailTask(task.task_id, task.run_id, attempt, reason); }),
      task, attempt, DeadLetter{DeadLetter::Kind::kNotRecorded, reason});
}

}  // namespace dcp::processing
