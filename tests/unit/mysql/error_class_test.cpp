#include "mysql/error_class.hpp"

#include <gtest/gtest.h>

namespace dcp::mysql {
namespace {

struct Case {
  int code;
  const char* sql_state;
};

void ExpectAll(std::initializer_list<Case> cases, DbErrorKind kind) {
  for (const Case& c : cases) {
    EXPECT_EQ(ClassifyError(c.code, c.sql_state), kind) << c.code << " " << c.sql_state;
  }
}

TEST(ClassifyError, DataThatCanNeverBeWrittenIsPermanent) {
  // As MariaDB 10.11 reports them; 1153 arrives as a communication error.
  ExpectAll({{1153, "08S01"},
             {1406, "22001"},
             {1366, "22007"},
             {1300, "HY000"},
             {1062, "23000"},
             {1452, "23000"},
             {1048, "23000"},
             {1264, "22003"},
             {4025, "23000"},
             {1118, "42000"},
             {9999, "22012"},
             {9999, "23505"}},
            DbErrorKind::kData);
}

TEST(ClassifyError, ALostRaceIsAConflictToRunAgain) {
  ExpectAll({{1213, "40001"}, {1205, "HY000"}, {9999, "40002"}}, DbErrorKind::kConflict);
}

TEST(ClassifyError, AServerThatIsNotThereOrReadOnlyIsUnavailable) {
  ExpectAll({{2006, "HY000"},
             {2013, "HY000"},
             {2003, "HY000"},
             {1053, "08S01"},
             {1927, "70100"},
             {1290, "HY000"},
             {1836, "HY000"},
             {1047, "08S01"},
             {1040, "08004"},
             {2014, "HY000"},
             {9999, "08001"}},
            DbErrorKind::kUnavailable);
}

TEST(ClassifyError, AnythingElseIsOther) {
  // Table missing, unknown column, access denied, syntax error: a schema,
  // grant or code problem that no retry and no task can fix.
  ExpectAll({{1146, "42S02"},
             {1054, "42S22"},
             {1142, "42000"},
             {1064, "42000"},
             {1045, "28000"},
             {0, "HY000"}},
            DbErrorKind::kOther);
}

TEST(DbError, IsTransientOnlyWhenUnavailableOrAConflict) {
  EXPECT_TRUE(DbError("x", DbErrorKind::kUnavailable).transient());
  EXPECT_TRUE(DbError("x", DbErrorKind::kConflict).transient());
  EXPECT_FALSE(DbError("x", DbErrorKind::kData).transient());
  EXPECT_FALSE(DbError("x", DbErrorKind::kOther).transient());
  EXPECT_EQ(DbError("x", true).kind(), DbErrorKind::kUnavailable);
  EXPECT_EQ(DbError("x", false).kind(), DbErrorKind::kOther);
}

}  // namespace
}  // namespace dcp::mysql
