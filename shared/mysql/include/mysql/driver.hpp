#pragma once
// The Connector/C++ driver is process-wide and not safe to initialise from
// two threads at once.

namespace dcp::mysql {

// Call once in main before any thread uses a Session. Also initialises
// OpenSSL, for a process that makes no TLS connection (see driver.cpp).
void InitDriver();

// Every thread other than main that uses a Session holds one of these for
// as long as it uses sessions (it calls the driver's threadInit/threadEnd,
// which set up and free the client library's per-thread state).
class DriverThread {
 public:
  DriverThread();
  ~DriverThread();
  DriverThread(const DriverThread&) = delete;
  DriverThread& operator=(const DriverThread&) = delete;
};

}  // namespace dcp::mysql
