// dcp-test-publish: publishes each line of stdin as one message to the task
// queue, with confirms, as another producer would (the original Python
// leader, a broken client). For tests only.
#include <iostream>
#include <string>
#include <vector>

#include "amqp/amqp_url.hpp"
#include "amqp/confirm_publisher.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: dcp-test-publish AMQP_URL QUEUE < bodies (one per line)\n";
    return 2;
  }
  const auto url = dcp::amqp::ParseNodes(argv[1]);
  if (!url) {
    std::cerr << "dcp-test-publish: " << url.reason() << "\n";
    return 2;
  }
  std::vector<std::string> bodies;
  for (std::string line; std::getline(std::cin, line);) bodies.push_back(line);
  try {
    dcp::amqp::PublisherOptions options;
    options.connection.nodes = *url;
    options.queue.name = argv[2];
    dcp::amqp::ConfirmPublisher publisher(options);
    publisher.PublishConfirmed(bodies);
  } catch (const std::exception& e) {
    std::cerr << "dcp-test-publish: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
