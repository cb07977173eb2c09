// The server's defences against clients that would take it from the others:
// the probe reserve, the caps per kind and per client, the deadlines, the
// Host allowlist and the security headers (README, "Hostile input").
#include <gtest/gtest.h>

#include "server_fixture.hpp"

namespace dcp::http::testing {
namespace {

std::string GetRequest(const std::string& path, const std::string& extra = "") {
  return "GET " + path + " HTTP/1.1\r\nHost: t\r\n" + extra + "\r\n";
}

class LimitsTest : public ServerTest {
 protected:
  // Routes: a probe, a plain page, a stream that stays open and a deferred
  // request that is never answered (its OnClose counts).
  Server& Start(ServerOptions options) {
    auto& server = StartServer(options);
    server.HandleProbe("GET", "/healthz", [](const Request&) { return Response::Text(200, "ok"); });
    server.Handle("GET", "/page", [](const Request&) { return Response::Text(200, "page"); });
    server.HandleStream("GET", "/events", [this](const Request&, std::shared_ptr<Stream> s) {
      s->SendComment("hello");
      streams_.push_back(std::move(s));
    });
    server.HandleDeferred("GET", "/api", [this](const Request&, std::shared_ptr<Stream> s) {
      s->OnClose([this] { ++waits_closed_; });
      waiting_.push_back(std::move(s));
    });
    Listen();
    return server;
  }

  std::vector<std::shared_ptr<Stream>> streams_, waiting_;
  int waits_closed_ = 0;
};

TEST_F(LimitsTest, ProbesAreAnsweredWhenStreamsHoldEveryOtherConnection) {
  ServerOptions options;
  options.max_connections = 6;
  options.probe_reserve = 2;
  auto& server = Start(options);
  std::vector<std::unique_ptr<LoopClient>> streams;
  for (int i = 0; i < 4; ++i) {
    streams.push_back(std::make_unique<LoopClient>(loop_, server.port()));
    streams.back()->Send(GetRequest("/events"));
    ASSERT_TRUE(RunUntil(loop_, [&] { return streams.back()->status() == 200; }));
  }
  LoopClient busy(loop_, server.port());
  busy.Send(GetRequest("/page"));
  ASSERT_TRUE(RunUntil(loop_, [&] { return busy.closed(); }));
  EXPECT_EQ(busy.status(), 503) << "the reserve serves probes only";
  LoopClient probe(loop_, server.port());
  probe.Send(GetRequest("/healthz"));
  ASSERT_TRUE(RunUntil(loop_, [&] { return probe.closed(); }));
  EXPECT_EQ(probe.status(), 200);
  EXPECT_EQ(probe.body(), "ok");
  for (const auto& s : streams) EXPECT_FALSE(s->closed());
}

TEST_F(LimitsTest, SlowClientsGiveWayBeforeAnOrdinaryClientFallsIntoTheReserve) {
  ServerOptions options;
  options.max_connections = 6;
  options.probe_reserve = 2;
  auto& server = Start(options);
  std::vector<std::unique_ptr<LoopClient>> slow;
  for (int i = 0; i < 4; ++i) {
    slow.push_back(std::make_unique<LoopClient>(loop_, server.port()));
    slow.back()->Send("GET /page HTTP/1.1\r\nHo");  // and never more
    ASSERT_TRUE(RunUntil(loop_, [&] { return server.connection_count() == slow.size(); }));
  }
  LoopClient ordinary(loop_, server.port());
  ordinary.Send(GetRequest("/page"));
  ASSERT_TRUE(RunUntil(loop_, [&] { return ordinary.closed(); }));
  EXPECT_EQ(ordinary.status(), 200)
      << "served in a slow client's place, not refused by the reserve";
  EXPECT_TRUE(slow.front()->closed()) << "the one waiting longest for its request made room";
  for (std::size_t i = 1; i < slow.size(); ++i) EXPECT_FALSE(slow[i]->closed());
}

TEST_F(LimitsTest, WhenEveryConnectionIsTakenTheSlowestClientMakesRoom) {
  ServerOptions options;
  options.max_connections = 3;
  options.probe_reserve = 0;
  auto& server = Start(options);
  LoopClient stream(loop_, server.port());
  stream.Send(GetRequest("/events"));
  ASSERT_TRUE(RunUntil(loop_, [&] { return stream.status() == 200; }));
  LoopClient oldest(loop_, server.port());
  oldest.Send("GET /page HT");
  ASSERT_TRUE(RunUntil(loop_, [&] { return server.connection_count() == 2; }));
  LoopClient newer(loop_, server.port());
  newer.Send("GET /page HT");
  ASSERT_TRUE(RunUntil(loop_, [&] { return server.connection_count() == 3; }));
  LoopClient probe(loop_, server.port());
  probe.Send(GetRequest("/healthz"));
  ASSERT_TRUE(RunUntil(loop_, [&] { return probe.closed(); }));
  EXPECT_EQ(probe.status(), 200);
  EXPECT_TRUE(oldest.closed()) << "the one waiting longest for its request made room";
  EXPECT_EQ(oldest.received(), "");
  EXPECT_FALSE(newer.closed());
  EXPECT_FALSE(stream.closed()) << "a stream is never evicted";
}

TEST_F(LimitsTest, OneClientsSlowConnectionsAreCappedAtAccept) {
  ServerOptions options;
  options.max_pending_per_client = 2;
  auto& server = Start(options);
  LoopClient a(loop_, server.port()), b(loop_, server.port());
  ASSERT_TRUE(RunUntil(loop_, [&] { return server.connection_count() == 2; }));
  LoopClient c(loop_, server.port());
  ASSERT_TRUE(RunUntil(loop_, [&] { return c.closed(); }));
  EXPECT_EQ(c.received(), "");
  a.Send(GetRequest("/page"));  // a request done frees its slot
  ASSERT_TRUE(RunUntil(loop_, [&] { return a.closed(); }));
  LoopClient d(loop_, server.port());
  d.Send(GetRequest("/page"));
  ASSERT_TRUE(RunUntil(loop_, [&] { return d.closed(); }));
  EXPECT_EQ(d.status(), 200);
}

TEST_F(LimitsTest, StreamsAreCappedPerClientAndInAll) {
  ServerOptions options;
  options.max_streams = 3;
  options.max_streams_per_client = 2;
  options.trusted_proxies = {"127.0.0.1"};  // so that X-Forwarded-For names the client
  auto& server = Start(options);
  std::vector<std::unique_ptr<LoopClient>> clients;
  const auto open = [&](const std::string& client) {
    clients.push_back(std::make_unique<LoopClient>(loop_, server.port()));
    clients.back()->Send(GetRequest("/events", "X-Forwarded-For: 10.9.9.9, " + client + "\r\n"));
    LoopClient& c = *clients.back();
    EXPECT_TRUE(RunUntil(loop_, [&] { return c.status() != 0; }));
    return c.status();
  };
  EXPECT_EQ(open("10.0.0.1"), 200);
  EXPECT_EQ(open("10.0.0.1"), 200);
  EXPECT_EQ(open("10.0.0.1"), 429) << "a third of one client";
  EXPECT_EQ(open("10.0.0.2"), 200) << "the last X-Forwarded-For entry is the client";
  EXPECT_EQ(open("10.0.0.3"), 503) << "all streams taken";
  EXPECT_EQ(server.stream_count(), 3u);
  clients[0]->CloseSocket();
  ASSERT_TRUE(RunUntil(loop_, [&] { return server.stream_count() == 2; }));
  EXPECT_EQ(open("10.0.0.3"), 200) << "a closed stream frees its place";
}

TEST_F(LimitsTest, XForwardedForIsIgnoredFromAPeerNotTrusted) {
  ServerOptions options;
  options.max_streams_per_client = 1;
  auto& server = Start(options);
  LoopClient a(loop_, server.port()), b(loop_, server.port());
  a.Send(GetRequest("/events", "X-Forwarded-For: 10.0.0.1\r\n"));
  b.Send(GetRequest("/events", "X-Forwarded-For: 10.0.0.2\r\n"));
  ASSERT_TRUE(RunUntil(loop_, [&] { return a.status() != 0 && b.status() != 0; }));
  EXPECT_EQ(a.status() + b.status(), 200 + 429) << "both are 127.0.0.1";
}

TEST_F(LimitsTest, AStreamEndsAtItsMaximumAge) {
  ServerOptions options;
  options.stream_max_age = std::chrono::milliseconds(100);
  auto& server = Start(options);
  LoopClient client(loop_, server.port());
  client.Send(GetRequest("/events"));
  ASSERT_TRUE(RunUntil(loop_, [&] { return client.closed(); }));
  EXPECT_EQ(client.status(), 200);
  EXPECT_NE(client.received().find(": hello"), std::string::npos);
  EXPECT_FALSE(streams_.at(0)->open());
}

TEST_F(LimitsTest, AWaitingRequestGets503AtItsDeadlineAndItsHandlerHearsOfIt) {
  ServerOptions options;
  options.wait_timeout = std::chrono::milliseconds(100);
  options.max_waiting = 1;
  auto& server = Start(options);
  LoopClient first(loop_, server.port());
  first.Send(GetRequest("/api"));
  ASSERT_TRUE(RunUntil(loop_, [&] { return server.waiting_count() == 1; }));
  LoopClient second(loop_, server.port());
  second.Send(GetRequest("/api"));
  ASSERT_TRUE(RunUntil(loop_, [&] { return second.closed(); }));
  EXPECT_EQ(second.status(), 503) << "the wait queue is full";
  ASSERT_TRUE(RunUntil(loop_, [&] { return first.closed(); }));
  EXPECT_EQ(first.status(), 503);
  EXPECT_EQ(server.waiting_count(), 0u);
  ASSERT_TRUE(RunUntil(loop_, [&] { return waits_closed_ == 1; }));
  EXPECT_FALSE(waiting_.at(0)->Reject(Response::Text(200, "late"))) << "a late answer goes nowhere";
}

TEST_F(LimitsTest, AClientThatLeavesWhileWaitingIsHeardOf) {
  auto& server = Start({});
  {
    LoopClient client(loop_, server.port());
    client.Send(GetRequest("/api"));
    ASSERT_TRUE(RunUntil(loop_, [&] { return server.waiting_count() == 1; }));
  }
  ASSERT_TRUE(RunUntil(loop_, [&] { return waits_closed_ == 1; }));
  EXPECT_EQ(server.waiting_count(), 0u);
}

TEST_F(LimitsTest, OnlyAllowedHostsAreServedButProbesAnswerAny) {
  ServerOptions options;
  options.allowed_hosts = {"dcp.example.com", "localhost:8081", "[::1]"};
  auto& server = Start(options);
  const auto status = [&](const std::string& path, const std::string& host) {
    return Exchange(loop_, server.port(), "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n")
        .substr(9, 3);
  };
  EXPECT_EQ(status("/page", "dcp.example.com"), "200");
  EXPECT_EQ(status("/page", "DCP.example.com:443"), "200") << "a name matches any port";
  EXPECT_EQ(status("/page", "localhost:8081"), "200");
  EXPECT_EQ(status("/page", "[::1]:8081"), "200");
  EXPECT_EQ(status("/page", "localhost:9999"), "403") << "name:port matches that port only";
  EXPECT_EQ(status("/page", "attacker.example"), "403") << "DNS rebinding";
  EXPECT_EQ(status("/nowhere", "attacker.example"), "403");
  EXPECT_EQ(status("/healthz", "10.1.2.3:8080"), "200") << "the kubelet probes the pod IP";
}

TEST_F(LimitsTest, EveryResponseForbidsSniffingAndFraming) {
  auto& server = Start({});
  for (const std::string path : {"/page", "/nowhere", "/healthz"}) {
    const auto raw = Get(path);
    EXPECT_NE(raw.find("X-Content-Type-Options: nosniff\r\n"), std::string::npos) << raw;
    EXPECT_NE(raw.find("Content-Security-Policy: frame-ancestors 'none'\r\n"), std::string::npos)
        << raw;
  }
  LoopClient stream(loop_, server.port());
  stream.Send(GetRequest("/events"));
  ASSERT_TRUE(
      RunUntil(loop_, [&] { return stream.received().find(": hello") != std::string::npos; }));
  EXPECT_NE(stream.received().find("X-Content-Type-Options: nosniff\r\n"), std::string::npos);
}

}  // namespace
}  // namespace dcp::http::testing
