#include "domain/url_list.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace dcp {
namespace {

std::vector<std::string> Split(std::string_view text) {
  std::vector<std::string> out;
  for (const std::string_view entry : SplitUrlList(text, {"amqp://", "amqps://"})) {
    out.emplace_back(entry);
  }
  return out;
}

TEST(UrlList, OneUrlIsAListOfOne) {
  EXPECT_EQ(Split("amqp://u:p@h:1/v"), std::vector<std::string>{"amqp://u:p@h:1/v"});
}

TEST(UrlList, CommasBeforeASchemeSeparateNodesAndSpacesAroundThemGo) {
  EXPECT_EQ(Split("amqp://u:p@a/v, amqps://u:p@b/v ,amqp://u:p@c/v"),
            (std::vector<std::string>{"amqp://u:p@a/v", "amqps://u:p@b/v", "amqp://u:p@c/v"}));
}

TEST(UrlList, ACommaInsideAPasswordStaysInItsUrl) {
  EXPECT_EQ(Split("amqp://u:p,q@a/v,amqp://u:p,amqp@b/v"),
            (std::vector<std::string>{"amqp://u:p,q@a/v", "amqp://u:p,amqp@b/v"}));
}

struct Parsed {
  std::string text;
  std::string Redacted() const { return "<" + text.substr(0, 1) + ">"; }
};

Result<Parsed> ParseStartingWithA(std::string_view text) {
  if (!text.starts_with("amqp://a")) return Error{"not a: " + std::string(text.substr(7, 1))};
  return Parsed{std::string(text.substr(7))};
}

TEST(UrlList, AFailureNamesTheNodeByPosition) {
  const auto one = ParseUrlList<Parsed>("amqp://b", {"amqp://"}, ParseStartingWithA);
  ASSERT_FALSE(one.ok());
  EXPECT_EQ(one.reason(), "not a: b");  // a single URL: as before lists
  const auto list = ParseUrlList<Parsed>("amqp://a1,amqp://b2", {"amqp://"}, ParseStartingWithA);
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(list.reason(), "node 2 of 2: not a: b");
}

TEST(UrlList, RedactedListJoinsEachNodesRedactedForm) {
  const auto list = ParseUrlList<Parsed>("amqp://a1, amqp://a2", {"amqp://"}, ParseStartingWithA);
  ASSERT_TRUE(list.ok()) << list.reason();
  EXPECT_EQ(RedactedList(*list), "<a>,<a>");
}

}  // namespace
}  // namespace dcp
