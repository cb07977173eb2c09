#include <gtest/gtest.h>

#include <stdexcept>
#include <system_error>

#include "server_fixture.hpp"

namespace dcp::http::testing {
namespace {

int StatusOf(const std::string& raw) {
  return raw.starts_with("HTTP/1.1 ") && raw.size() >= 12 ? std::stoi(raw.substr(9, 3)) : 0;
}
std::string BodyOf(const std::string& raw) {
  const auto end = raw.find("\r\n\r\n");
  return end == std::string::npos ? std::string() : raw.substr(end + 4);
}

TEST_F(ServerTest, ListensOnAnEphemeralPortAndAnswersTheHandler) {
  auto& server = StartServer();
  Request seen;
  server.Handle("POST", "/echo", [&seen](const Request& request) {
    seen = request;
    auto response = Response::Json(201, "{\"got\":\"" + request.body + "\"}");
    response.headers.emplace_back("X-Run", "42");
    return response;
  });
  Listen();
  ASSERT_NE(server.port(), 0);
  const auto raw = Exchange(loop_, server.port(),
                            "POST /echo?a=1 HTTP/1.1\r\nHost: t\r\nX-Who: me\r\n"
                            "Content-Length: 5\r\n\r\nhello");
  EXPECT_EQ(StatusOf(raw), 201);
  EXPECT_NE(raw.find("Content-Type: application/json\r\n"), std::string::npos);
  EXPECT_NE(raw.find("Content-Length: 15\r\n"), std::string::npos);
  EXPECT_NE(raw.find("X-Run: 42\r\n"), std::string::npos);
  EXPECT_NE(raw.find("Connection: close\r\n"), std::string::npos);
  EXPECT_EQ(BodyOf(raw), "{\"got\":\"hello\"}");
  EXPECT_EQ(seen.query, "a=1");
  EXPECT_EQ(seen.Header("x-who"), "me");
  EXPECT_TRUE(RunUntil(loop_, [&] { return server.connection_count() == 0; }));
}

TEST_F(ServerTest, ExactRouteBeatsLongestPrefixWhichBeatsShorter) {
  auto& server = StartServer();
  server.Handle("GET", "/", [](const Request&) { return Response::Text(200, "root"); });
  server.Handle("GET", "/api/", [](const Request&) { return Response::Text(200, "api"); });
  server.Handle("GET", "/api/runs/", [](const Request& r) { return Response::Text(200, r.path); });
  server.Handle("GET", "/api/runs", [](const Request&) { return Response::Text(200, "list"); });
  Listen();
  EXPECT_EQ(BodyOf(Get("/api/runs")), "list");
  EXPECT_EQ(BodyOf(Get("/api/runs/7")), "/api/runs/7");
  EXPECT_EQ(BodyOf(Get("/api/other")), "api");
  EXPECT_EQ(BodyOf(Get("/favicon.ico")), "root");
}

TEST_F(ServerTest, AnswersNotFoundAndMethodNotAllowed) {
  auto& server = StartServer();
  server.Handle("GET", "/thing", [](const Request&) { return Response::Text(200, "x"); });
  server.Handle("PUT", "/thing", [](const Request&) { return Response::Text(200, "x"); });
  Listen();
  EXPECT_EQ(StatusOf(Get("/nothing")), 404);
  const auto raw = Get("/thing", "DELETE");
  EXPECT_EQ(StatusOf(raw), 405);
  EXPECT_NE(raw.find("Allow: GET, PUT\r\n"), std::string::npos);
}

TEST_F(ServerTest, HeadUsesTheGetRouteWithoutBody) {
  auto& server = StartServer();
  server.Handle("GET", "/x", [](const Request&) { return Response::Text(200, "12345"); });
  Listen();
  const auto raw = Get("/x", "HEAD");
  EXPECT_EQ(StatusOf(raw), 200);
  EXPECT_NE(raw.find("Content-Length: 5\r\n"), std::string::npos);
  EXPECT_EQ(BodyOf(raw), "");
}

TEST_F(ServerTest, HandlerExceptionBecomes500) {
  auto& server = StartServer();
  server.Handle("GET", "/boom",
                [](const Request&) -> Response { throw std::runtime_error("kaput"); });
  Listen();
  const auto raw = Get("/boom");
  EXPECT_EQ(StatusOf(raw), 500);
  EXPECT_EQ(BodyOf(raw).find("kaput"), std::string::npos) << "no internals in the answer";
}

TEST_F(ServerTest, AnswersGarbageWith400AndLimitsWith413And431) {
  ServerOptions options;
  options.max_header_bytes = 512;
  options.max_body_bytes = 64;
  auto& server = StartServer(options);
  server.Handle("POST", "/x", [](const Request&) { return Response::Text(200, "x"); });
  Listen();
  EXPECT_EQ(StatusOf(Exchange(loop_, server.port(), "\x16\x03\x01 not http\r\n\r\n")), 400);
  EXPECT_EQ(
      StatusOf(Exchange(loop_, server.port(), "POST /x HTTP/1.1\r\nContent-Length: 65\r\n\r\n")),
      413);
  EXPECT_EQ(StatusOf(Exchange(loop_, server.port(),
                              "GET /x HTTP/1.1\r\nA: " + std::string(600, 'a') + "\r\n\r\n")),
            431);
}

TEST_F(ServerTest, SlowClientIsAnswered408AndSilentOneDropped) {
  ServerOptions options;
  options.request_timeout = std::chrono::milliseconds(150);
  auto& server = StartServer(options);
  Listen();
  LoopClient slow(loop_, server.port());
  slow.Send("GET /x HTTP/1.1\r\nHo");
  LoopClient silent(loop_, server.port());
  ASSERT_TRUE(RunUntil(loop_, [&] { return slow.closed() && silent.closed(); }));
  EXPECT_EQ(slow.status(), 408);
  EXPECT_EQ(silent.received(), "");
  EXPECT_TRUE(RunUntil(loop_, [&] { return server.connection_count() == 0; }));
}

TEST_F(ServerTest, ClientVanishingMidRequestFreesTheConnection) {
  auto& server = StartServer();
  Listen();
  {
    LoopClient client(loop_, server.port());
    client.Send("GET /x HT");
    ASSERT_TRUE(RunUntil(loop_, [&] { return server.connection_count() == 1; }));
  }
  EXPECT_TRUE(RunUntil(loop_, [&] { return server.connection_count() == 0; }));
}

// (A slow client would make room instead: limits_test.cpp.)
TEST_F(ServerTest, ConnectionsBeyondTheLimitAreClosedWhenNoneIsWaitingForItsRequest) {
  ServerOptions options;
  options.max_connections = 1;
  options.probe_reserve = 0;
  auto& server = StartServer(options);
  std::shared_ptr<Stream> kept;
  server.HandleStream("GET", "/events",
                      [&](const Request&, std::shared_ptr<Stream> stream) { kept = stream; });
  Listen();
  LoopClient first(loop_, server.port());
  first.Send("GET /events HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(RunUntil(loop_, [&] { return kept != nullptr; }));
  LoopClient second(loop_, server.port());
  ASSERT_TRUE(RunUntil(loop_, [&] { return second.closed(); }));
  EXPECT_EQ(second.received(), "");
  EXPECT_FALSE(first.closed());
}

TEST_F(ServerTest, StopClosesListenerAndConnections) {
  auto& server = StartServer();
  Listen();
  LoopClient client(loop_, server.port());
  ASSERT_TRUE(RunUntil(loop_, [&] { return server.connection_count() == 1; }));
  server.Stop();
  EXPECT_TRUE(RunUntil(loop_, [&] { return client.closed() && server.connection_count() == 0; }));
  EXPECT_THROW(LoopClient(loop_, server.port()), std::runtime_error);
}

TEST_F(ServerTest, StartFailsOnABadAddressOrABusyPort) {
  auto& server = StartServer();
  Listen();
  ServerOptions busy;
  busy.bind_address = "127.0.0.1";
  busy.port = server.port();
  Server second(loop_, busy);
  EXPECT_THROW(second.Start(), std::system_error);
  ServerOptions bad;
  bad.bind_address = "localhost";
  Server third(loop_, bad);
  EXPECT_THROW(third.Start(), std::invalid_argument);
}

}  // namespace
}  // namespace dcp::http::testing
