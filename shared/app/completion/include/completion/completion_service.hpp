#pragma once
// Hosts a CompletionNotifier on a thread of its own (database connection,
// broker connection, blocking webhook calls never touch the caller's event
// loop or pool), polling every `poll` for runs to report. Every worker runs
// one; the monitor may too: the database claim picks one reporter per run.
#include <chrono>
#include <functional>
#include <memory>

#include "completion/completion_notifier.hpp"
#include "runtime/periodic.hpp"

namespace dcp::completion {

// What the notifier thread uses, made on that thread by the factory.
// `keep` (a database session, driver thread state...) outlives the others.
struct NotifierParts {
  std::shared_ptr<void> keep;
  std::shared_ptr<CompletionClaims> claims;
  std::shared_ptr<RunResults> results;
  std::shared_ptr<EventPublisher> events;
  std::shared_ptr<WebhookPoster> webhook;  // null: no webhook
};

class CompletionService {
 public:
  using Factory = std::function<NotifierParts()>;

  CompletionService(Factory make_parts, NotifierSettings settings, std::chrono::milliseconds poll);

  void Start() { periodic_.Start(); }
  // Ends the thread (a report in progress is abandoned, see
  // completion_notifier.hpp). Idempotent.
  void Stop() { periodic_.Stop(); }

 private:
  void Tick(runtime::Stopper& stopper);

  Factory make_parts_;
  NotifierSettings settings_;
  NotifierParts parts_;         // the thread's; empty: connect at the next tick
  runtime::Periodic periodic_;  // last: stopped first
};

}  // namespace dcp::completion
