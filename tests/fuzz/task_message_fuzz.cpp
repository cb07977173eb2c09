// Fuzz target for the task-message codec (domain/task_message.hpp), fed raw
// AMQP bodies. Properties, on any input:
//  - DecodeTaskMessage and PeekIds return (no crash, leak or UB);
//  - a decoded message survives EncodeTaskMessage -> DecodeTaskMessage
//    unchanged, and its encoding is a fixed point;
//  - on a body that decodes, the Peek functions find the decoded ids.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "domain/task_message.hpp"

namespace {

// Reports a broken property as a crash, which libFuzzer saves.
void Require(bool holds, const char* property, std::string_view body) {
  if (holds) return;
  std::fprintf(stderr, "property violated: %s\nbody: %.*s\n", property,
               static_cast<int>(body.size()), body.data());
  std::abort();
}

bool SameMessage(const dcp::TaskMessage& a, const dcp::TaskMessage& b) {
  return a.run_id == b.run_id && a.task_id == b.task_id && a.selection == b.selection &&
         a.start == b.start && a.end == b.end;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);

  const auto [task_id, run_id] = dcp::PeekIds(body);
  const auto decoded = dcp::DecodeTaskMessage(body);
  if (!decoded) {
    Require(!decoded.reason().empty(), "a rejection has a reason", body);
    return 0;
  }
  const dcp::TaskMessage& message = *decoded;
  Require(task_id == message.task_id, "PeekIds' task agrees with Decode", body);
  Require(run_id == message.run_id, "PeekIds' run agrees with Decode", body);
  Require(message.start <= message.end, "a decoded window is not empty", body);

  const std::string encoded = dcp::EncodeTaskMessage(message);
  const auto again = dcp::DecodeTaskMessage(encoded);
  Require(again.ok(), "the encoding of a decoded message decodes", encoded);
  Require(SameMessage(*again, message), "Decode(Encode(m)) == m", encoded);
  Require(dcp::EncodeTaskMessage(*again) == encoded, "Encode is a fixed point", encoded);
  return 0;
}
