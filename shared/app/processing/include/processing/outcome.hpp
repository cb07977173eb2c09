#pragma once
// What processing one task message decided, as a value that can only hold
// a valid decision: each alternative carries exactly what it needs.
//   Finish      computed: record `result` as FINISHED, then ack (see Recorded);
//   Acked       nothing more to record: ack the delivery;
//   Retry       publish the message again after `delay` (retry queue), then ack;
//   DeadLetter  publish it to the dead-letter queue, then ack.
// TaskProcessor decides; the worker's settlement only maps the decision to
// broker calls.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "domain/ids.hpp"
#include "ports/task_store.hpp"

namespace dcp::processing {

struct Finish {
  TaskResult result;
};

struct Acked {
  enum class Kind {
    kFinished,   // recorded FINISHED now
    kDuplicate,  // computed again, but another delivery had recorded it first
    kSkipped,    // already FINISHED (or its run cancelled): not computed
  };
  Kind kind = Kind::kFinished;
  std::string note;  // kSkipped: why, when not the usual "already finished"
};

struct Retry {
  std::chrono::milliseconds delay{0};
  std::string reason;  // the failed attempt's error, one line
};

struct DeadLetter {
  enum class Kind {
    kMalformed,    // the body does not decode: it cannot get better
    kFailed,       // the computation failed for good (or on its last attempt)
    kGaveUp,       // attempts exhausted by deliveries that never completed
    kNotRecorded,  // the outcome could not be recorded (permanent database error)
  };
  Kind kind = Kind::kFailed;
  std::string reason;  // one line
};

struct Outcome {
  using Decision = std::variant<Finish, Acked, Retry, DeadLetter>;

  Decision decision;
  std::optional<TaskId> task;  // nullopt when the body names no readable task
  int attempt = 0;             // the attempt that ran (0: not started)

  // The decision, if it is a T; else null.
  template <class T>
  const T* As() const {
    return std::get_if<T>(&decision);
  }
  template <class T>
  T* As() {
    return std::get_if<T>(&decision);
  }
  template <class T>
  bool Is() const {
    return std::holds_alternative<T>(decision);
  }

  // Finish -> Acked once the result is recorded: kFinished when `counted`
  // (FinishTask's answer), else kDuplicate. Precondition: Is<Finish>().
  void Recorded(bool counted);

  // A task whose outcome could not be recorded (a permanent database error
  // or a bug): requeueing would loop, leaving it unacked would hold it for
  // ever, so it is dead-lettered.
  static Outcome NotRecorded(std::string_view error, std::optional<TaskId> task, int attempt);
};

}  // namespace dcp::processing
