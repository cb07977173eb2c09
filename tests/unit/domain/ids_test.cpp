#include "domain/ids.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace dcp {
namespace {

static_assert(!std::is_convertible_v<RunId, TaskId>, "ids must not be swappable");
static_assert(!std::is_convertible_v<TaskId, RunId>, "ids must not be swappable");

TEST(Uuid, ParsesCanonicalLowercase) {
  const auto uuid = Uuid::Parse("c1ab55ca-27d5-40e7-9899-e475f906af1c");
  ASSERT_TRUE(uuid.has_value());
  EXPECT_EQ(uuid->ToString(), "c1ab55ca-27d5-40e7-9899-e475f906af1c");
}

TEST(Uuid, ParsesUppercaseAndFormatsLowercase) {
  const auto uuid = Uuid::Parse("0CE41899-A414-4920-9159-CCF223840634");
  ASSERT_TRUE(uuid.has_value());
  EXPECT_EQ(uuid->ToString(), "0ce41899-a414-4920-9159-ccf223840634");
  EXPECT_EQ(*uuid, *Uuid::Parse("0ce41899-a414-4920-9159-ccf223840634"));
}

TEST(Uuid, ParsesNilAndMax) {
  EXPECT_TRUE(Uuid::Parse("00000000-0000-0000-0000-000000000000"));
  EXPECT_TRUE(Uuid::Parse("ffffffff-ffff-ffff-ffff-ffffffffffff"));
}

TEST(Uuid, RejectsNonCanonicalForms) {
  const std::vector<std::string> bad = {
      "",
      "c1ab55ca-27d5-40e7-9899-e475f906af1",    // too short
      "c1ab55ca-27d5-40e7-9899-e475f906af1cc",  // too long
      "c1ab55ca27d540e79899e475f906af1c",       // no dashes
      "{c1ab55ca-27d5-40e7-9899-e475f906af1c}",
      "urn:uuid:c1ab55ca-27d5-40e7-9899-e475f906af1c",
      "c1ab55ca-27d540-e7-9899-e475f906af1c",  // dash misplaced
      "c1ab55c-a27d5-40e7-9899-e475f906af1c",
      "g1ab55ca-27d5-40e7-9899-e475f906af1c",  // not hex
      "c1ab55ca-27d5-40e7-9899-e475f906af1 ",
      " c1ab55ca-27d5-40e7-9899-e475f906af1c",
      "c1ab55ca_27d5_40e7_9899_e475f906af1c",
      "+1ab55ca-27d5-40e7-9899-e475f906af1c",
  };
  for (const auto& text : bad) EXPECT_FALSE(Uuid::Parse(text)) << "'" << text << "'";
}

TEST(Uuid, TimeOrderedIsVersion7StartsWithTheTimeAndSortsAfterOlderOnes) {
  const auto ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  const auto before = ms();
  const Uuid first = Uuid::TimeOrdered();
  const auto after = ms();
  const std::string text = first.ToString();
  EXPECT_EQ(text[14], '7') << text;
  EXPECT_NE(std::string("89ab").find(text[19]), std::string::npos) << text;
  const long long stamp = std::stoll(text.substr(0, 8) + text.substr(9, 4), nullptr, 16);
  EXPECT_GE(stamp, before);
  EXPECT_LE(stamp, after);
  EXPECT_EQ(Uuid::Parse(text), first);
  // One in a later millisecond sorts after it, as text and as bytes.
  while (ms() <= after) {
  }
  const Uuid later = Uuid::TimeOrdered();
  EXPECT_LT(first, later);
  EXPECT_LT(text, later.ToString());
  EXPECT_EQ(TaskId::New().ToString()[14], '7');
}

TEST(Uuid, TimeOrderedIdsOfOneProcessIncreaseWithinAMillisecondToo) {
  // More than the 4,096 a millisecond's counter holds, as fast as they come:
  // many share a millisecond (checked), and in an optimised build the
  // counter runs out too.
  constexpr std::size_t kIds = 20000;
  std::vector<Uuid> ids;
  ids.reserve(kIds);
  for (std::size_t i = 0; i < kIds; ++i) ids.push_back(Uuid::TimeOrdered());
  int same_ms = 0;
  for (std::size_t i = 1; i < kIds; ++i) {
    ASSERT_LT(ids[i - 1], ids[i]) << ids[i - 1].ToString() << " " << ids[i].ToString();
    const std::string a = ids[i - 1].ToString();
    const std::string b = ids[i].ToString();
    ASSERT_EQ(b[14], '7') << b;
    ASSERT_NE(std::string("89ab").find(b[19]), std::string::npos) << b;
    if (a.substr(0, 13) == b.substr(0, 13)) ++same_ms;
  }
  EXPECT_GT(same_ms, 0);
}

TEST(Uuid, FromBytesTakesSixteenBytesInOrderAndNothingElse) {
  const std::string bytes("\x01\x9a\x00\xff\x10\x20\x7a\xbc\x8d\x00\x00\x01\x02\x03\x04\x05", 16);
  const auto uuid = Uuid::FromBytes(bytes);
  ASSERT_TRUE(uuid);
  EXPECT_EQ(uuid->ToString(), "019a00ff-1020-7abc-8d00-000102030405");
  EXPECT_FALSE(Uuid::FromBytes(bytes.substr(0, 15)));
  EXPECT_FALSE(Uuid::FromBytes(bytes + "x"));
  EXPECT_FALSE(Uuid::FromBytes(""));
}

TEST(Uuid, RandomIsVersion4AndRoundTrips) {
  for (int i = 0; i < 100; ++i) {
    const Uuid uuid = Uuid::Random();
    const std::string text = uuid.ToString();
    ASSERT_EQ(text.size(), 36U);
    EXPECT_EQ(text[14], '4') << text;
    EXPECT_NE(std::string("89ab").find(text[19]), std::string::npos) << text;
    EXPECT_EQ(Uuid::Parse(text), uuid);
  }
}

TEST(Uuid, RandomIsUniqueAcrossThreads) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 2000;
  std::vector<std::vector<std::string>> results(kThreads);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < results.size(); ++t) {
    threads.emplace_back([&out = results[t]] {
      for (int i = 0; i < kPerThread; ++i) out.push_back(Uuid::Random().ToString());
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<std::string> all;
  for (const auto& batch : results) all.insert(batch.begin(), batch.end());
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kThreads * kPerThread));
}

TEST(Id, ParsesAndFormatsThroughUuid) {
  const auto run = RunId::Parse("C1AB55CA-27D5-40E7-9899-E475F906AF1C");
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->ToString(), "c1ab55ca-27d5-40e7-9899-e475f906af1c");
  EXPECT_FALSE(TaskId::Parse("not-a-uuid"));
  EXPECT_NE(TaskId::New(), TaskId::New());
}

}  // namespace
}  // namespace dcp
