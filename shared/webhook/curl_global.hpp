#pragma once
// libcurl's process-wide state (internal to dcp_webhook).

namespace dcp::webhook {

// Runs curl_global_init once per process, whichever thread calls first
// (a function-local static); never cleaned up. Every entry point of this
// library that touches libcurl calls it first. Throws std::runtime_error if
// libcurl cannot initialise (out of memory, TLS library broken).
void EnsureCurlGlobal();

}  // namespace dcp::webhook
