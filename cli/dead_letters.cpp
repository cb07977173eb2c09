#include "cli/dead_letters.hpp"

#include "views/run_progress.hpp"

namespace dcp::cli {
namespace {

const std::string* HeaderOf(const amqp::Delivery& d, std::string_view name) {
  for (const amqp::Header& h : d.headers) {
    if (h.name == name) return &h.value;
  }
  return nullptr;
}

nlohmann::json OptText(const std::optional<std::string>& text) {
  return text ? nlohmann::json(*text) : nlohmann::json(nullptr);
}

}  // namespace

DeadLetter ReadDeadLetter(const amqp::Delivery& delivery) {
  DeadLetter letter;
  letter.tag = delivery.ref.tag;
  letter.body_bytes = delivery.body.size();
  if (auto task = DecodeTaskMessage(delivery.body)) {
    letter.run = task->run_id;
    letter.task_id = task->task_id;
    letter.task = std::move(task).value();
  } else {
    letter.malformed = task.reason();
    const PeekedIds ids = PeekIds(delivery.body);
    letter.run = ids.run;
    letter.task_id = ids.task;
  }
  if (const auto* reason = HeaderOf(delivery, "x-dcp-reason")) {
    letter.reason = *reason;
  } else if (const auto* broker = HeaderOf(delivery, "x-first-death-reason")) {
    letter.reason = "broker: " + *broker;
  }
  if (const auto* count = HeaderOf(delivery, "x-dcp-delivery-count")) {
    letter.deliveries = std::stoll(*count);  // decimal: ReadHeaders wrote it
  } else {
    letter.deliveries = delivery.delivery_count;
  }
  if (delivery.dead_lettered_at) {
    letter.dead_lettered_at = SysSeconds(std::chrono::seconds(*delivery.dead_lettered_at));
  }
  return letter;
}

bool InRun(const DeadLetter& letter, const std::optional<RunId>& run) {
  return !run || letter.run == run;
}

ReplayDecision DecideReplay(const DeadLetter& letter, const std::optional<RunSummary>& run) {
  using A = ReplayAction;
  if (!letter.task) return {A::kKeep, "malformed (" + letter.malformed + "): not replayed"};
  if (!run) return {A::kKeep, "its run is not in the database: not replayed"};
  if (run->status == RunStatus::kCancelled) return {A::kKeep, "its run was cancelled: kept"};
  if (run->status == RunStatus::kPublishing) {
    return {A::kKeep,
            "its run is PUBLISHING (a leader publishing it, or a retry cut short: dcp-leader "
            "resume finishes that): kept, replay once it is RUNNING"};
  }
  if (!letter.row) return {A::kKeep, "its task has no row: not replayed"};
  if (!letter.row->seq) {
    return {A::kKeep, "not planned by a leader (another producer's task): not replayed"};
  }
  switch (letter.row->status) {
    case TaskStatus::kFailed:
      return {A::kReplay, "FAILED: requeued and published"};
    case TaskStatus::kQueued:
      return {A::kDrop, "QUEUED again already (dcp retry, or a replay cut short): dropped"};
    case TaskStatus::kStarted:
      return {A::kDrop, "STARTED again already: dropped"};
    case TaskStatus::kFinished:
      return {A::kDrop, "FINISHED since: dropped"};
    case TaskStatus::kCancelled:
      return {A::kDrop, "CANCELLED: dropped"};
  }
  return {A::kKeep, "unknown status: kept"};
}

nlohmann::json DeadLetterJson(const DeadLetter& letter) {
  const TaskMessage* t = letter.task ? &*letter.task : nullptr;
  return {
      {"run_id", OptText(letter.run ? std::optional(letter.run->ToString()) : std::nullopt)},
      {"task_id",
       OptText(letter.task_id ? std::optional(letter.task_id->ToString()) : std::nullopt)},
      {"selection", OptText(t ? std::optional(t->selection) : std::nullopt)},
      {"start", OptText(t ? std::optional(FormatLocalMinute(t->start)) : std::nullopt)},
      {"end", OptText(t ? std::optional(FormatLocalMinute(t->end)) : std::nullopt)},
      {"reason", letter.reason},
      {"dead_lettered_at",
       OptText(letter.dead_lettered_at ? std::optional(views::FormatUtc(*letter.dead_lettered_at))
                                       : std::nullopt)},
      {"deliveries", letter.deliveries},
      {"malformed", OptText(t ? std::nullopt : std::optional(letter.malformed))},
      {"body_bytes", letter.body_bytes},
      {"status", OptText(letter.row ? std::optional(std::string(ToString(letter.row->status)))
                                    : std::nullopt)},
      {"attempt", letter.row ? nlohmann::json(letter.row->attempt) : nlohmann::json(nullptr)}};
}

}  // namespace dcp::cli
