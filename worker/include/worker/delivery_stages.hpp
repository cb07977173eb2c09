#pragma once
// A delivery on its way through the worker, one type per stage:
//   Job        delivered; once the recorder has looked at it, decoded (or
//              `malformed`) and maybe started by a batch; then computed;
//   Finishing  computed successfully, its FINISHED not yet recorded;
//   Done       decided: settle it on the loop (or leave it unacked).
// Plain values, moved from stage to stage (the body is never copied).
#include <cstddef>
#include <optional>
#include <string>

#include "amqp/message.hpp"
#include "domain/task_message.hpp"
#include "ports/task_store.hpp"
#include "processing/outcome.hpp"

namespace dcp::worker {

struct Job {
  amqp::DeliveryRef ref;
  std::string body;
  // Set by the recorder: the decoded message (else `malformed` says why)
  // and its RecordBatch start (nullopt: Compute starts it).
  std::optional<TaskMessage> task;
  std::string malformed;
  std::optional<StartResult> start;
  std::size_t queue = 0;  // the consumer's queue it came from: its route
};

struct Finishing {
  amqp::DeliveryRef ref;
  std::string body;
  TaskMessage task;
  processing::Outcome outcome;  // a processing::Finish
};

struct Done {
  amqp::DeliveryRef ref;
  std::string body;
  // nullopt: abandoned (stopping during a database outage): leave it
  // unacked, the broker requeues it with the connection.
  std::optional<processing::Outcome> outcome;
};

}  // namespace dcp::worker
