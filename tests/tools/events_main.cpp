// dcp-test-events: a subscriber of dcp's events exchange, for tests.
//   dcp-test-events subscribe AMQP_URL QUEUE   declare QUEUE, bind it to dcp.events "run.*"
//   dcp-test-events take AMQP_URL QUEUE        print one event (exit 3 if none)
#include <iostream>
#include <string>

#include "amqp/amqp_url.hpp"
#include "amqp/event_publisher.hpp"
#include "amqp/queue_topology.hpp"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: dcp-test-events subscribe|take AMQP_URL QUEUE\n";
    return 2;
  }
  const std::string mode = argv[1];
  const auto url = dcp::amqp::ParseNodes(argv[2]);
  if (!url) {
    std::cerr << "dcp-test-events: " << url.reason() << "\n";
    return 2;
  }
  try {
    dcp::amqp::ConnectionOptions options;
    options.nodes = *url;
    dcp::amqp::Connection connection(options);
    if (mode == "subscribe") {
      dcp::amqp::SubscribeQueue(connection, "dcp.events", argv[3], "run.*");
      return 0;
    }
    const auto delivery = dcp::amqp::TakeOne(connection, argv[3]);
    if (!delivery) return 3;
    std::cout << delivery->body << "\n";
  } catch (const std::exception& e) {
    std::cerr << "dcp-test-events: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
