#include "webhook/curl_webhook.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace dcp::webhook {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// tests/e2e/webhook_receiver.py in a child process: started with `args`,
// ready once it has written its port; SIGTERM and reaped on destruction.
class Receiver {
 public:
  Receiver(const fs::path& dir, const std::string& name, const std::vector<std::string>& args)
      : port_file_(dir / (name + ".port")), log_file_(dir / (name + ".log")) {
    std::vector<std::string> argv = {"python3", DCP_WEBHOOK_RECEIVER, port_file_, log_file_};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> pointers;
    for (auto& a : argv) pointers.push_back(a.data());
    pointers.push_back(nullptr);
    if (posix_spawnp(&pid_, "python3", nullptr, nullptr, pointers.data(), environ) != 0) pid_ = -1;
  }
  ~Receiver() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  // Polls for the port file (bounded); "" when ready, else why not.
  std::string AwaitReady() {
    if (pid_ <= 0) return "cannot start python3";
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!fs::exists(port_file_)) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return "the receiver exited (see its stderr above)";
      }
      if (std::chrono::steady_clock::now() > deadline)
        return "the receiver did not listen within 20 s";
      std::this_thread::sleep_for(10ms);
    }
    std::ifstream(port_file_) >> port_;
    return port_ > 0 ? "" : "no port in " + port_file_.string();
  }

  int port() const { return port_; }

  // The bodies received (and answered 2xx), one per line.
  std::vector<std::string> Bodies() const {
    std::vector<std::string> lines;
    std::ifstream in(log_file_);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

 private:
  fs::path port_file_;
  fs::path log_file_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// One CA and three receivers for the whole suite: http on 127.0.0.1, https
// on 127.0.0.1 and on ::1, all with a certificate for those two addresses.
class CurlWebhookTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char name[] = "/tmp/dcp-webhook-test-XXXXXX";
    ASSERT_NE(::mkdtemp(name), nullptr);
    dir_ = name;
    const std::string make = std::string("bash ") + DCP_MAKE_TEST_CERTS + " " + dir_.string();
    ASSERT_EQ(std::system(make.c_str()), 0) << make;
    const std::vector<std::string> tls = {"--tls", dir_ / "server.pem", dir_ / "server.key"};
    std::vector<std::string> tls6 = tls;
    tls6.insert(tls6.end(), {"--bind", "::1"});
    http_ = new Receiver(dir_, "http", {});
    https_ = new Receiver(dir_, "https", tls);
    https6_ = new Receiver(dir_, "https6", tls6);
    for (Receiver* r : {http_, https_, https6_}) {
      const std::string why = r->AwaitReady();
      ASSERT_EQ(why, "");
    }
  }
  static void TearDownTestSuite() {
    for (Receiver* r : {http_, https_, https6_}) delete r;
    http_ = https_ = https6_ = nullptr;
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  // A body no other test posts, so a receiver's log says whether this one
  // arrived.
  static std::string Body() {
    return std::string(R"({"event":"run.completed","test":")") +
           ::testing::UnitTest::GetInstance()->current_test_info()->name() + "\"}";
  }

  static WebhookResponse Post(const std::string& url, const WebhookOptions& options = {}) {
    const auto parsed = ParseWebhookUrl(url);
    EXPECT_TRUE(parsed) << url << ": " << parsed.reason();
    if (!parsed) return {};
    return CurlWebhook(*parsed, options).Post(Body());
  }

  static bool Received(const Receiver& receiver) {
    for (const auto& line : receiver.Bodies()) {
      if (line == Body()) return true;
    }
    return false;
  }

  // No answer, an error that mentions `mentions`, nothing received.
  static void ExpectRefused(const WebhookResponse& response, const Receiver& receiver,
                            const std::string& mentions) {
    EXPECT_EQ(response.status, 0);
    EXPECT_FALSE(response.ok());
    EXPECT_NE(response.error.find(mentions), std::string::npos) << response.error;
    EXPECT_FALSE(Received(receiver));
  }

  static WebhookOptions TrustingOurCa() {
    WebhookOptions options;
    options.ca_file = dir_ / "ca.pem";
    return options;
  }

  static std::string Url(const char* scheme, const char* host, const Receiver& receiver,
                         const char* path = "/hook") {
    return std::string(scheme) + "://" + host + ":" + std::to_string(receiver.port()) + path;
  }

  static inline fs::path dir_;
  static inline Receiver* http_ = nullptr;
  static inline Receiver* https_ = nullptr;
  static inline Receiver* https6_ = nullptr;
};

TEST_F(CurlWebhookTest, HttpDelivers) {
  const auto response = Post(Url("http", "127.0.0.1", *http_));
  EXPECT_EQ(response.status, 204) << response.error;
  EXPECT_TRUE(response.ok());
  EXPECT_TRUE(Received(*http_));
}

TEST_F(CurlWebhookTest, HttpsWithTheReceiversCaDelivers) {
  const auto response = Post(Url("https", "127.0.0.1", *https_), TrustingOurCa());
  EXPECT_EQ(response.status, 204) << response.error;
  EXPECT_TRUE(Received(*https_));
}

TEST_F(CurlWebhookTest, HttpsOverIpv6LoopbackDelivers) {
  const auto response = Post(Url("https", "[::1]", *https6_), TrustingOurCa());
  EXPECT_EQ(response.status, 204) << response.error;
  EXPECT_TRUE(Received(*https6_));
}

TEST_F(CurlWebhookTest, HttpsWithTheSystemStoreRefusesAPrivateCa) {
  ExpectRefused(Post(Url("https", "127.0.0.1", *https_)), *https_, "certificate");
}

TEST_F(CurlWebhookTest, HttpsWithAnotherCaIsRefused) {
  WebhookOptions options;
  options.ca_file = dir_ / "other-ca.pem";
  ExpectRefused(Post(Url("https", "127.0.0.1", *https_), options), *https_, "certificate");
}

TEST_F(CurlWebhookTest, HttpsToAHostTheCertificateDoesNotNameIsRefused) {
  // Signed by the trusted CA, but for 127.0.0.1 and ::1 only.
  ExpectRefused(Post(Url("https", "localhost", *https_), TrustingOurCa()), *https_, "localhost");
}

TEST_F(CurlWebhookTest, AMissingCaFileIsAnErrorNotAThrow) {
  WebhookOptions options;
  options.ca_file = dir_ / "absent.pem";
  ExpectRefused(Post(Url("https", "127.0.0.1", *https_), options), *https_, "absent.pem");
}

TEST_F(CurlWebhookTest, ARedirectIsTheAnswerNotFollowed) {
  // Followed, it would reach /hook, which logs the body.
  for (const auto& [url, receiver, options] :
       {std::tuple{Url("http", "127.0.0.1", *http_, "/redirect"), http_, WebhookOptions{}},
        std::tuple{Url("https", "127.0.0.1", *https_, "/redirect"), https_, TrustingOurCa()}}) {
    const auto response = Post(url, options);
    EXPECT_EQ(response.status, 307) << url << ": " << response.error;
    EXPECT_FALSE(response.ok());
    EXPECT_NE(response.error.find("not followed"), std::string::npos) << response.error;
    EXPECT_FALSE(Received(*receiver)) << url;
  }
}

TEST_F(CurlWebhookTest, AReceiverThatNeverAnswersTimesOutWithinTheBound) {
  WebhookOptions options = TrustingOurCa();
  options.timeout = 500ms;
  for (const auto& url :
       {Url("http", "127.0.0.1", *http_, "/hang"), Url("https", "127.0.0.1", *https_, "/hang")}) {
    const auto start = std::chrono::steady_clock::now();
    const auto response = Post(url, options);
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(response.status, 0) << url;
    EXPECT_NE(response.error.find("timed out"), std::string::npos) << url << ": " << response.error;
    EXPECT_GE(took, 400ms) << url;
    EXPECT_LT(took, 3s) << url;
  }
}

TEST_F(CurlWebhookTest, ProxyVariablesOfTheEnvironmentAreIgnored) {
  // Honoured, they would send the POST to a port where nothing listens.
  const char* names[] = {"http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"};
  for (const char* name : names) ::setenv(name, "http://127.0.0.1:1", 1);
  const auto plain = Post(Url("http", "127.0.0.1", *http_));
  const auto tls = Post(Url("https", "127.0.0.1", *https_), TrustingOurCa());
  for (const char* name : names) ::unsetenv(name);
  EXPECT_EQ(plain.status, 204) << plain.error;
  EXPECT_EQ(tls.status, 204) << tls.error;
}

TEST_F(CurlWebhookTest, ConnectionRefusedIsAnErrorNotAThrow) {
  // Port 1 on loopback: nothing listens there in a test environment.
  const auto response = Post("http://127.0.0.1:1/");
  EXPECT_EQ(response.status, 0);
  EXPECT_FALSE(response.ok());
  EXPECT_NE(response.error.find("127.0.0.1"), std::string::npos) << response.error;
}

TEST_F(CurlWebhookTest, ErrorsNeverQuoteThePathOrQuery) {
  WebhookOptions options;
  options.timeout = 500ms;
  for (const auto& url : {std::string("http://127.0.0.1:1/s3cret?token=s3cret"),
                          Url("https", "127.0.0.1", *https_, "/s3cret?token=s3cret"),
                          Url("http", "127.0.0.1", *http_, "/hang?token=s3cret")}) {
    const auto response = Post(url, options);
    EXPECT_EQ(response.status, 0) << url;
    EXPECT_EQ(response.error.find("s3cret"), std::string::npos) << url << ": " << response.error;
  }
}

}  // namespace
}  // namespace dcp::webhook
