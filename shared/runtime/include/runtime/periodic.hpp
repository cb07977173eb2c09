#pragma once
// Runs a job at once and then every `interval` on a thread of its own, until
// Stop(): the worker's heartbeat and the completion reports, which must
// never wait on (or delay) the event loop. A job that throws is logged once
// under `name` until it succeeds again, and retried at the next tick.
#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "runtime/stopper.hpp"

namespace dcp::runtime {

class Periodic {
 public:
  // `tick` runs on the thread, with the stopper that Stop() sets (for waits
  // inside it); `last`, if given, runs once on the thread after the last tick.
  Periodic(std::string name, std::chrono::milliseconds interval, std::function<void(Stopper&)> tick,
           std::function<void()> last = {});
  ~Periodic();  // Stop()
  Periodic(const Periodic&) = delete;
  Periodic& operator=(const Periodic&) = delete;

  void Start();
  // Ends the thread (after `last`). Idempotent.
  void Stop();

 private:
  void Loop();

  std::string name_;
  std::chrono::milliseconds interval_;
  std::function<void(Stopper&)> tick_;
  std::function<void()> last_;
  Stopper stopper_;
  std::thread thread_;
};

}  // namespace dcp::runtime
