#include "completion/completion_service.hpp"

#include <spdlog/spdlog.h>

namespace dcp::completion {

CompletionService::CompletionService(Factory make_parts, NotifierSettings settings,
                                     std::chrono::milliseconds poll)
    : make_parts_(std::move(make_parts)), settings_(std::move(settings)), poll_(poll) {}

CompletionService::~CompletionService() { Stop(); }

void CompletionService::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void CompletionService::Stop() {
  stopper_.Stop();
  if (thread_.joinable()) thread_.join();
}

void CompletionService::Loop() {
  NotifierParts parts;
  bool warned = false;
  do {
    try {
      if (!parts.store) parts = make_parts_();
      CompletionNotifier notifier(*parts.store, *parts.events, parts.webhook.get(), settings_,
                                  stopper_);
      notifier.ReportDue();
      warned = false;
    } catch (const std::exception& e) {
      if (!warned) spdlog::warn("completion reports: {}", e.what());
      warned = true;
      parts = {};  // reconnect next time
    }
  } while (stopper_.WaitFor(poll_));
}

}  // namespace dcp::completion
