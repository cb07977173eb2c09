#pragma once
// A server on an ephemeral loopback port and its own libev loop.
#include <gtest/gtest.h>

#include <memory>

#include "http/server.hpp"
#include "loop_client.hpp"

namespace dcp::http::testing {

class ServerTest : public ::testing::Test {
 protected:
  ServerTest() : loop_(ev_loop_new(EVFLAG_AUTO)) {}
  ~ServerTest() override {
    server_.reset();
    ev_loop_destroy(loop_);
  }

  // Creates and starts the server; adjust options first through the argument.
  Server& StartServer(ServerOptions options = {}) {
    options.bind_address = "127.0.0.1";
    options.port = 0;
    server_ = std::make_unique<Server>(loop_, options);
    return *server_;
  }
  // Call after routes are installed (routes may also come later).
  void Listen() { server_->Start(); }

  std::string Get(const std::string& path, const std::string& method = "GET") {
    return Exchange(loop_, server_->port(), method + " " + path + " HTTP/1.1\r\nHost: t\r\n\r\n");
  }

  struct ev_loop* loop_;
  std::unique_ptr<Server> server_;
};

}  // namespace dcp::http::testing
