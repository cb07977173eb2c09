#include "mysql/mysql_url.hpp"

#include <gtest/gtest.h>

namespace dcp::mysql {
namespace {

struct GoodUrl {
  const char* text;
  const char* user;
  const char* password;
  const char* host;
  std::uint16_t port;
  const char* database;
};

TEST(MysqlUrl, ParsesValidUrls) {
  const GoodUrl cases[] = {
      {"mysql://dcp:dcp-dev@127.0.0.1:17306/dcp", "dcp", "dcp-dev", "127.0.0.1", 17306, "dcp"},
      {"mysql://dcp:pw@db.example.com/dcp", "dcp", "pw", "db.example.com", 3306, "dcp"},
      {"mysql://dcp@db/dcp_1", "dcp", "", "db", 3306, "dcp_1"},
      {"mysql://us%40er:p%3Aw%2F%40x@h:1/d", "us@er", "p:w/@x", "h", 1, "d"},
      {"mysql://u:p@ss@h:65535/d", "u", "p@ss", "h", 65535, "d"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto url = MysqlUrl::Parse(c.text);
    ASSERT_TRUE(url.ok()) << url.reason();
    EXPECT_EQ(url->user, c.user);
    EXPECT_EQ(url->password, c.password);
    EXPECT_EQ(url->host, c.host);
    EXPECT_EQ(url->port, c.port);
    EXPECT_EQ(url->database, c.database);
  }
}

TEST(MysqlUrl, RejectsAnythingElseWithoutEchoingThePassword) {
  const char* cases[] = {
      "",
      "postgres://u:s3cret@h/d",
      "mysql://u:s3cret@h",
      "mysql://u:s3cret@h/",
      "mysql://:s3cret@h/d",
      "mysql://h/d",
      "mysql://u:s3cret@/d",
      "mysql://u:s3cret@h:0/d",
      "mysql://u:s3cret@h:65536/d",
      "mysql://u:s3cret@h:33a/d",
      "mysql://u:s3cret@h:/d",
      "mysql://u:s3cret@h/d?ssl=1",
      "mysql://u:s3cret@h/d/e",
      "mysql://u:s3cret%zz@h/d",
      "mysql://u:s3cret%4@h/d",
      "mysql://u:s3cret@[::1]:3306/d",
  };
  for (const char* text : cases) {
    SCOPED_TRACE(text);
    auto url = MysqlUrl::Parse(text);
    ASSERT_FALSE(url.ok());
    EXPECT_NE(url.reason().find("MySQL URL"), std::string::npos);
    EXPECT_EQ(url.reason().find("s3cret"), std::string::npos);
  }
}

TEST(MysqlUrl, RedactedHidesThePassword) {
  auto url = MysqlUrl::Parse("mysql://dcp:s3cret@127.0.0.1/dcp");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->Redacted(), "mysql://dcp:***@127.0.0.1:3306/dcp");
  EXPECT_EQ(url->Endpoint(), "127.0.0.1:3306");
}

TEST(MysqlUrl, ANodeListParsesEachNodeAndNamesABadOneByPosition) {
  const auto nodes = ParseNodes("mysql://u:p@a:1/dcp, mysql://u:p@b:2/dcp,mysql://u:p@c/dcp");
  ASSERT_TRUE(nodes.ok()) << nodes.reason();
  ASSERT_EQ(nodes->size(), 3U);
  EXPECT_EQ((*nodes)[2].Endpoint(), "c:3306");
  const auto bad = ParseNodes("mysql://u:s3cret@a/dcp,mysql://u:s3cret@b/");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.reason().rfind("node 2 of 2: ", 0), 0U) << bad.reason();
  EXPECT_EQ(bad.reason().find("s3cret"), std::string::npos) << bad.reason();
}

}  // namespace
}  // namespace dcp::mysql
