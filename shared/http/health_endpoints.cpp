#include "http/health_endpoints.hpp"

namespace dcp::http {

void InstallHealthEndpoints(Server& server, const metrics::Registry& registry,
                            ReadinessCheck readiness) {
  server.HandleProbe("GET", "/healthz", [](const Request&) { return Response::Text(200, "ok\n"); });
  server.HandleProbe("GET", "/readyz", [readiness = std::move(readiness)](const Request&) {
    if (!readiness) return Response::Text(200, "ready\n");
    auto [ready, reason] = readiness();
    if (ready) return Response::Text(200, "ready\n");
    return Response::Text(
        503, "not ready: " + (reason.empty() ? std::string("unknown") : reason) + "\n");
  });
  server.HandleProbe("GET", "/metrics", [&registry](const Request&) {
    Response response;
    response.content_type = metrics::kContentType;
    response.body = registry.Render();
    return response;
  });
}

}  // namespace dcp::http
