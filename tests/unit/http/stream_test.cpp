#include <gtest/gtest.h>

#include "server_fixture.hpp"

namespace dcp::http::testing {
namespace {

const std::string kGetEvents = "GET /events HTTP/1.1\r\nAccept: text/event-stream\r\n\r\n";

TEST_F(ServerTest, StreamSendsHeadersThenEventsWrittenLater) {
  auto& server = StartServer();
  std::shared_ptr<Stream> kept;
  int closes = 0;
  server.HandleStream("GET", "/events", [&](const Request&, std::shared_ptr<Stream> stream) {
    stream->OnClose([&closes] { ++closes; });
    kept = std::move(stream);
  });
  Listen();
  LoopClient client(loop_, server.port());
  client.Send(kGetEvents);
  ASSERT_TRUE(
      RunUntil(loop_, [&] { return client.received().find("\r\n\r\n") != std::string::npos; }));
  EXPECT_EQ(client.status(), 200);
  EXPECT_NE(client.received().find("Content-Type: text/event-stream\r\n"), std::string::npos);
  EXPECT_NE(client.received().find("Cache-Control: no-cache\r\n"), std::string::npos);

  ASSERT_TRUE(kept->SendEvent("{\"done\":1}\nsecond line", "progress", "7"));
  ASSERT_TRUE(kept->SendComment("keep-alive"));
  const std::string expected =
      "event: progress\nid: 7\ndata: {\"done\":1}\ndata: second line\n\n: keep-alive\n\n";
  ASSERT_TRUE(RunUntil(loop_, [&] { return client.body() == expected; })) << client.body();

  client.CloseSocket();  // the browser tab goes away
  ASSERT_TRUE(RunUntil(loop_, [&] { return closes == 1; }));
  EXPECT_FALSE(kept->open());
  EXPECT_FALSE(kept->SendEvent("late"));
  EXPECT_TRUE(RunUntil(loop_, [&] { return server.connection_count() == 0; }));
}

TEST_F(ServerTest, StreamCloseEndsTheResponseAfterQueuedData) {
  auto& server = StartServer();
  server.HandleStream("GET", "/events", [](const Request&, std::shared_ptr<Stream> stream) {
    stream->SetContentType("application/x-ndjson");
    stream->Send("{\"a\":1}\n");
    stream->Close();
  });
  Listen();
  const auto raw = Exchange(loop_, server.port(), kGetEvents);
  EXPECT_NE(raw.find("Content-Type: application/x-ndjson\r\n"), std::string::npos);
  EXPECT_TRUE(raw.ends_with("\r\n\r\n{\"a\":1}\n")) << raw;
}

TEST_F(ServerTest, DeferredStreamIsAnsweredLaterWithAnOrdinaryResponse) {
  auto& server = StartServer();
  std::shared_ptr<Stream> kept;
  server.HandleStream("GET", "/events", [&](const Request&, std::shared_ptr<Stream> stream) {
    stream->Defer();  // e.g. computed on another thread
    kept = std::move(stream);
  });
  Listen();
  LoopClient client(loop_, server.port());
  client.Send(kGetEvents);
  ASSERT_TRUE(RunUntil(loop_, [&] { return kept != nullptr; }));
  EXPECT_TRUE(client.received().empty());  // no headers sent meanwhile
  EXPECT_TRUE(kept->Reject(Response::Json(201, "{\"ok\":true}")));
  ASSERT_TRUE(RunUntil(loop_, [&] { return client.body() == "{\"ok\":true}"; }))
      << client.received();
  EXPECT_EQ(client.status(), 201);
}

TEST_F(ServerTest, StreamHandlerCanRejectWithAnOrdinaryResponse) {
  auto& server = StartServer();
  int closes = 0;
  server.HandleStream("GET", "/events", [&](const Request&, std::shared_ptr<Stream> stream) {
    stream->OnClose([&closes] { ++closes; });
    EXPECT_TRUE(stream->Reject(Response::Text(404, "no such run\n")));
    EXPECT_FALSE(stream->Send("ignored"));
  });
  Listen();
  const auto raw = Exchange(loop_, server.port(), kGetEvents);
  EXPECT_TRUE(raw.starts_with("HTTP/1.1 404 ")) << raw;
  EXPECT_TRUE(raw.ends_with("no such run\n"));
  EXPECT_TRUE(RunUntil(loop_, [&] { return closes == 1; }));
}

TEST_F(ServerTest, SlowStreamConsumerIsDroppedAtTheBufferLimit) {
  ServerOptions options;
  options.max_stream_buffer_bytes = 64 * 1024;
  auto& server = StartServer(options);
  std::shared_ptr<Stream> kept;
  bool closed = false;
  server.HandleStream("GET", "/events", [&](const Request&, std::shared_ptr<Stream> stream) {
    stream->OnClose([&closed] { closed = true; });
    kept = std::move(stream);
  });
  Listen();
  LoopClient client(loop_, server.port());
  client.Send(kGetEvents);
  ASSERT_TRUE(RunUntil(loop_, [&] { return kept != nullptr; }));
  client.StopReading();
  const std::string chunk(16 * 1024, 'x');
  int sent = 0;
  // Socket buffers absorb a few MB; then the server's own buffer fills.
  while (kept->Send(chunk) && sent < 100000) ++sent;
  EXPECT_LT(sent, 100000);
  EXPECT_FALSE(kept->open());
  EXPECT_TRUE(RunUntil(loop_, [&] { return closed && server.connection_count() == 0; }));
}

TEST_F(ServerTest, StopEndsStreamsAndRunsTheirCallbacks) {
  auto& server = StartServer();
  std::shared_ptr<Stream> kept;
  bool closed = false;
  server.HandleStream("GET", "/events", [&](const Request&, std::shared_ptr<Stream> stream) {
    stream->OnClose([&closed] { closed = true; });
    kept = std::move(stream);
  });
  Listen();
  LoopClient client(loop_, server.port());
  client.Send(kGetEvents);
  ASSERT_TRUE(RunUntil(loop_, [&] { return kept != nullptr; }));
  server.Stop();
  EXPECT_FALSE(kept->open());
  EXPECT_TRUE(RunUntil(loop_, [&] { return closed && client.closed(); }));
}

}  // namespace
}  // namespace dcp::http::testing
