#include "completion/completion_service.hpp"

namespace dcp::completion {

CompletionService::CompletionService(Factory make_parts, NotifierSettings settings,
                                     std::chrono::milliseconds poll)
    : make_parts_(std::move(make_parts)),
      settings_(std::move(settings)),
      periodic_("completion reports", poll, [this](runtime::Stopper& s) { Tick(s); }) {}

void CompletionService::Tick(runtime::Stopper& stopper) {
  try {
    if (!parts_.claims) parts_ = make_parts_();
    CompletionNotifier notifier(*parts_.claims, *parts_.results, *parts_.events,
                                parts_.webhook.get(), settings_, stopper);
    notifier.ReportDue();
  } catch (...) {
    parts_ = {};  // reconnect next time
    throw;
  }
}

}  // namespace dcp::completion
