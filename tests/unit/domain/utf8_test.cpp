#include "domain/utf8.hpp"

#include <gtest/gtest.h>

#include <string>

namespace dcp {
namespace {

TEST(Utf8, AcceptsWhatUtf8mb4Stores) {
  EXPECT_EQ(FirstInvalidUtf8(""), std::nullopt);
  EXPECT_EQ(FirstInvalidUtf8("plain ascii,1,2\n"), std::nullopt);
  EXPECT_EQ(FirstInvalidUtf8("K\xc3\xb6ln \xe2\x82\xac \xf0\x9f\x98\x80"), std::nullopt);  // ö € 😀
  EXPECT_EQ(FirstInvalidUtf8(std::string("nul\0inside", 10)), std::nullopt);
}

TEST(Utf8, FindsTheFirstInvalidByte) {
  EXPECT_EQ(FirstInvalidUtf8("ab\xff"), 2U);
  EXPECT_EQ(FirstInvalidUtf8("a\xc3"), 1U);                // cut short
  EXPECT_EQ(FirstInvalidUtf8("\xc0\xaf"), 0U);             // overlong '/'
  EXPECT_EQ(FirstInvalidUtf8("x\xe0\x80\xaf"), 1U);        // overlong, 3 bytes
  EXPECT_EQ(FirstInvalidUtf8("\xed\xa0\x80"), 0U);         // a surrogate
  EXPECT_EQ(FirstInvalidUtf8("ok \xf4\x90\x80\x80"), 3U);  // beyond U+10FFFF
  EXPECT_EQ(FirstInvalidUtf8("\xe2\x82"), 0U);
}

TEST(Utf8, MeasuresOneSequence) {
  const std::string s = "a\xc3\xb6\xe2\x82\xac\xf0\x9f\x98\x80\xff";
  EXPECT_EQ(Utf8SequenceLength(s, 0), 1U);
  EXPECT_EQ(Utf8SequenceLength(s, 1), 2U);
  EXPECT_EQ(Utf8SequenceLength(s, 3), 3U);
  EXPECT_EQ(Utf8SequenceLength(s, 6), 4U);
  EXPECT_EQ(Utf8SequenceLength(s, 10), 0U);
}

}  // namespace
}  // namespace dcp
