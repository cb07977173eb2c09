#pragma once
// The operational endpoints every dcp process serves: liveness, readiness
// and Prometheus metrics (Kubernetes probes and scrape annotations use them).
#include <functional>
#include <string>
#include <utility>

#include "http/server.hpp"
#include "metrics/registry.hpp"

namespace dcp::http {

// {ready, what is not ready}. Called on the loop thread for every GET
// /readyz, so it must be cheap and must not block: read flags or atomics the
// service maintains (connected to the broker, database reachable), never
// open a connection here.
using ReadinessCheck = std::function<std::pair<bool, std::string>()>;

// Installs on `server`:
//   GET /healthz  200 "ok": answering at all proves the event loop turns.
//   GET /readyz   200 "ready", or 503 with the check's reason.
//   GET /metrics  registry.Render(), text/plain; version=0.0.4.
// `registry` must outlive `server`. A null `readiness` means always ready.
void InstallHealthEndpoints(Server& server, const metrics::Registry& registry,
                            ReadinessCheck readiness);

}  // namespace dcp::http
