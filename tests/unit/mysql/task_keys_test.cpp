// The two forms of a task's key in dcp's statements (task_keys.hpp, private
// to the adapter): a literal of an id's text, and an id's text of a key read.
#include "task_keys.hpp"

#include <gtest/gtest.h>

#include "ports/errors.hpp"

namespace dcp::mysql {
namespace {

TEST(TaskKeys, ALiteralIsTheIdsHexDigitsInEitherCase) {
  EXPECT_EQ(KeyLiteral("019a00ff-1020-7abc-8d00-000102030405"),
            "X'019a00ff10207abc8d00000102030405'");
  EXPECT_EQ(KeyLiteral("019A00FF-1020-7ABC-8D00-000102030405"),
            "X'019A00FF10207ABC8D00000102030405'");
}

TEST(TaskKeys, TextThatIsNotAUuidGetsNoLiteral) {
  for (const char* text :
       {"", "not-a-uuid", "019a00ff10207abc8d00000102030405",
        "019a00ff-1020-7abc-8d00-00010203040'", "019a00ff-1020-7abc-8d00-0001020304"}) {
    try {
      KeyLiteral(text);
      ADD_FAILURE() << "accepted: " << text;
    } catch (const DbError& e) {
      EXPECT_FALSE(e.transient()) << text;
    }
  }
}

TEST(TaskKeys, AKeyReadBackIsItsIdsText) {
  const std::string key("\x01\x9a\x00\xff\x10\x20\x7a\xbc\x8d\x00\x00\x01\x02\x03\x04\x05", 16);
  EXPECT_EQ(KeyText(key), "019a00ff-1020-7abc-8d00-000102030405");
  EXPECT_THROW(KeyText(key.substr(0, 15)), DbError);
  EXPECT_THROW(KeyText(""), DbError);
}

}  // namespace
}  // namespace dcp::mysql
