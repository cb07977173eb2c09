// MySQL over TLS (--mysql-tls verify) to the test server, whose certificate
// scripts/stack makes for 127.0.0.1 and ::1 from a CA of its own
// (DCP_TEST_CA_FILE). A host the certificate does not name is a relay on
// 127.0.0.2.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "mysql/session.hpp"
#include "ports/errors.hpp"
#include "support/servers.hpp"
#include "support/tcp_relay.hpp"
#include "test_database.hpp"

namespace dcp::mysql {
namespace {

// The cipher of the session's connection: empty when it is not TLS.
constexpr const char* kCipherLength =
    "SELECT LENGTH(VARIABLE_VALUE) FROM information_schema.SESSION_STATUS "
    "WHERE VARIABLE_NAME = 'SSL_CIPHER'";

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto url = testing::ServerUrl();
    const auto ca = dcp::testing::ServerUrl("DCP_TEST_CA_FILE");
    if (!url || !ca) return;
    plain_ = *url;
    tls_ = *url;
    tls_.tls = true;
    tls_.ca_file = *ca;
  }

  // The error of a first statement through `url`, which must fail as the
  // server being unavailable (the next node may do), without the password.
  std::string Refusal(const MysqlUrl& url) const {
    Session session(url);
    try {
      session.QueryInt("SELECT 1");
    } catch (const DbError& error) {
      const std::string what = error.what();
      EXPECT_TRUE(error.transient()) << what;
      EXPECT_EQ(what.find(url.password), std::string::npos) << what;
      return what;
    }
    ADD_FAILURE() << "connected to " << url.Redacted();
    return {};
  }
  std::string OtherCa() const {
    return (std::filesystem::path(tls_.ca_file).parent_path() / "other-ca.pem").string();
  }

  MysqlUrl plain_;
  MysqlUrl tls_;
};

TEST_F(TlsTest, ASessionSpeaksTlsOnlyWhenAskedAndVerifiesTheServer) {
  Session tls(tls_);
  EXPECT_GT(tls.QueryInt(kCipherLength).value_or(0), 0) << "not a TLS connection";
  Session plain(plain_);
  EXPECT_EQ(plain.QueryInt(kCipherLength).value_or(-1), 0) << "TLS not asked for";
}

TEST_F(TlsTest, ACertificateFromAnotherCaIsRefused) {
  MysqlUrl other = tls_;
  other.ca_file = OtherCa();
  EXPECT_NE(Refusal(other).find(other.Endpoint()), std::string::npos);
}

TEST_F(TlsTest, WithoutACaFileTheSystemsCasAreUsedAndDoNotKnowTheTestCa) {
  MysqlUrl system = tls_;
  system.ca_file.clear();
  Refusal(system);
}

TEST_F(TlsTest, ACertificateThatDoesNotNameTheHostIsRefused) {
  dcp::testing::TcpRelay relay(tls_.port, "127.0.0.2");
  MysqlUrl elsewhere = tls_;
  elsewhere.host = "127.0.0.2";
  elsewhere.port = relay.port();
  Refusal(elsewhere);
  MysqlUrl plain = plain_;  // the relay itself works: only the name is wrong
  plain.host = "127.0.0.2";
  plain.port = relay.port();
  EXPECT_EQ(Session(plain).QueryInt("SELECT 1"), 1);
}

TEST_F(TlsTest, ANodeWithABadCertificateIsSkippedForTheNext) {
  MysqlUrl other = tls_;
  other.ca_file = OtherCa();
  Session session(MysqlNodes{other, tls_});
  EXPECT_GT(session.QueryInt(kCipherLength).value_or(0), 0);
  EXPECT_EQ(session.url().Endpoint(), tls_.Endpoint());
}

}  // namespace
}  // namespace dcp::mysql
