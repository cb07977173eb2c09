#include "grid/feeder_report.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "grid/load_profile.hpp"
#include "grid/topology_json.hpp"

namespace dcp::grid {
namespace {

using std::chrono::minutes;

// S > F1 > {T1 > {M1, M2}, T2 > {M3 (no load)}}, and F2 > T3 > M4.
constexpr std::string_view kGrid = R"({"version":1,"nodes":[
  {"id":"S","type":"substation"},
  {"id":"F1","type":"feeder","parent":"S"},
  {"id":"F2","type":"feeder","parent":"S"},
  {"id":"T1","type":"transformer","parent":"F1"},
  {"id":"T2","type":"transformer","parent":"F1"},
  {"id":"T3","type":"transformer","parent":"F2"},
  {"id":"M1","type":"meter","parent":"T1","base_kw":0.8},
  {"id":"M2","type":"meter","parent":"T1","base_kw":3.5},
  {"id":"M3","type":"meter","parent":"T2","base_kw":0},
  {"id":"M4","type":"meter","parent":"T3","base_kw":1}]})";

Topology Grid() { return *ParseTopology(kGrid); }
TimeZone Zone(const char* name) { return *TimeZone::Load(name); }
LocalMinute Local(const char* text) { return *ParseLocalMinute(text); }

std::vector<std::vector<std::string>> Rows(const std::string& csv) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream lines(csv);
  for (std::string line; std::getline(lines, line);) {
    std::vector<std::string> fields;
    std::istringstream cells(line);
    for (std::string cell; std::getline(cells, cell, ',');) fields.push_back(cell);
    if (line.ends_with(',')) fields.emplace_back();
    rows.push_back(fields);
  }
  return rows;
}

std::size_t DayIntervals(const char* zone, const char* day) {
  const std::string date = day;
  return PlanIntervals(Zone(zone), Local((date + " 00:00").c_str()),
                       Local((date + " 23:59").c_str()))
      .count;
}

TEST(PlanIntervals, CountsLocalDaysAcrossDaylightSavingChanges) {
  EXPECT_EQ(DayIntervals("Europe/Amsterdam", "2024-03-30"), 96u);
  EXPECT_EQ(DayIntervals("Europe/Amsterdam", "2024-03-31"), 92u);
  EXPECT_EQ(DayIntervals("Europe/Amsterdam", "2024-10-27"), 100u);
  EXPECT_EQ(DayIntervals("UTC", "2024-10-27"), 96u);
}

TEST(PlanIntervals, AlignsToQuartersOfAbsoluteTime) {
  // India is UTC+05:30: 10:20 local is 04:50 UTC, so the first interval starts at 05:00 UTC.
  const IntervalPlan plan =
      PlanIntervals(Zone("Asia/Kolkata"), Local("2024-01-01 10:20"), Local("2024-01-01 11:59"));
  EXPECT_EQ(FormatLocalMinute(LocalMinute{plan.first.time_since_epoch()}), "2024-01-01 05:00");
  EXPECT_EQ(plan.count, 6u);
}

TEST(PlanIntervals, IsEmptyInsideTheSpringForwardGap) {
  EXPECT_EQ(
      PlanIntervals(Zone("Europe/Amsterdam"), Local("2024-03-31 02:00"), Local("2024-03-31 02:59"))
          .count,
      0u);
}

TEST(FeederReport, WritesOneRowPerSubtreeNodeSortedById) {
  auto csv =
      FeederReport(Grid(), Zone("UTC"), "F1", Local("2024-01-10 00:00"), Local("2024-01-10 23:59"));
  ASSERT_TRUE(csv.ok()) << csv.reason();
  const auto rows = Rows(*csv);
  ASSERT_EQ(rows.size(), 6u);
  const char* ids[] = {"F1", "M1", "M2", "M3", "T1", "T2"};
  const char* types[] = {"feeder", "meter", "meter", "meter", "transformer", "transformer"};
  for (std::size_t i = 0; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i].size(), 10u);
    EXPECT_EQ(rows[i][0], "F1");
    EXPECT_EQ(rows[i][1], "2024-01-10 00:00");
    EXPECT_EQ(rows[i][2], "2024-01-10 23:59");
    EXPECT_EQ(rows[i][3], ids[i]);
    EXPECT_EQ(rows[i][4], types[i]);
    EXPECT_EQ(rows[i][5], "96");
  }
  EXPECT_EQ(rows[3][6] + rows[3][7] + rows[3][8] + rows[3][9],
            "0.0000.0002024-01-10T00:00+00:000.0000");  // a meter without load
}

TEST(FeederReport, SumsLoadsUpTheTree) {
  auto csv = FeederReport(Grid(), Zone("Europe/Amsterdam"), "F1", Local("2024-02-01 00:00"),
                          Local("2024-02-29 23:59"));
  ASSERT_TRUE(csv.ok()) << csv.reason();
  const auto rows = Rows(*csv);
  auto energy = [&rows](std::size_t i) { return std::strtod(rows[i][6].c_str(), nullptr); };
  auto peak = [&rows](std::size_t i) { return std::strtod(rows[i][7].c_str(), nullptr); };
  EXPECT_NEAR(energy(0), energy(1) + energy(2) + energy(3), 0.002);
  EXPECT_NEAR(energy(4), energy(1) + energy(2), 0.002);
  EXPECT_NEAR(energy(0), energy(4) + energy(5), 0.002);
  EXPECT_LE(peak(4), peak(1) + peak(2) + 0.001);
  EXPECT_GE(peak(4), std::max(peak(1), peak(2)) - 0.001);
  // About the base load over 29 days: 4.3 kW * 24 h * 29.
  EXPECT_GT(energy(0), 0.5 * 4.3 * 24 * 29);
  EXPECT_LT(energy(0), 2.0 * 4.3 * 24 * 29);
  const double load_factor = std::strtod(rows[0][9].c_str(), nullptr);
  EXPECT_NEAR(load_factor, energy(0) / (29 * 24) / peak(0), 0.001);
}

TEST(FeederReport, MatchesTheLoadProfileOnAKnownCase) {
  // One hour in UTC, so local and absolute time coincide: four intervals.
  const Topology grid = Grid();
  auto csv =
      FeederReport(grid, Zone("UTC"), "F1", Local("2024-01-10 18:00"), Local("2024-01-10 18:59"));
  ASSERT_TRUE(csv.ok());
  const Node& m1 = grid.nodes()[*grid.Find("M1")];
  double sum = 0, peak = 0;
  int peak_k = 0;
  for (int k = 0; k < 4; ++k) {
    const LocalMinute local = Local("2024-01-10 18:00") + minutes{15 * k};
    const double kw = MeterLoadKw(m1, SysMinutes{local.since_epoch}, local);
    sum += kw;
    if (kw > peak) {
      peak = kw;
      peak_k = k;
    }
  }
  char expected[160];
  std::snprintf(
      expected, sizeof expected,
      "F1,2024-01-10 18:00,2024-01-10 18:59,M1,meter,4,%.3f,%.3f,2024-01-10T18:%02d+00:00,"
      "%.4f\n",
      sum * 0.25, peak, 15 * peak_k, sum / 4 / peak);
  EXPECT_NE(csv->find(expected), std::string::npos) << *csv << "\nexpected: " << expected;
}

TEST(FeederReport, CountsDaylightSavingDays) {
  for (auto [day, intervals] : {std::pair{"2024-03-31", "92"}, std::pair{"2024-10-27", "100"},
                                std::pair{"2024-06-12", "96"}}) {
    const std::string date = day;
    auto csv = FeederReport(Grid(), Zone("Europe/Amsterdam"), "F2",
                            Local((date + " 00:00").c_str()), Local((date + " 23:59").c_str()));
    ASSERT_TRUE(csv.ok());
    for (const auto& row : Rows(*csv)) EXPECT_EQ(row[5], intervals) << day;
  }
}

TEST(FeederReport, LabelsPeaksWithTheirUtcOffset) {
  // 02:15 on the fall-back day happens twice; the window's start means the first one.
  auto csv = FeederReport(Grid(), Zone("Europe/Amsterdam"), "F2", Local("2024-10-27 02:15"),
                          Local("2024-10-27 02:29"));
  ASSERT_TRUE(csv.ok());
  for (const auto& row : Rows(*csv)) {
    EXPECT_EQ(row[5], "1");
    EXPECT_EQ(row[8], "2024-10-27T02:15+02:00");
  }
  auto winter = FeederReport(Grid(), Zone("America/St_Johns"), "F2", Local("2024-01-10 12:00"),
                             Local("2024-01-10 12:14"));
  ASSERT_TRUE(winter.ok());
  EXPECT_EQ(Rows(*winter)[0][8], "2024-01-10T12:00-03:30");
}

TEST(FeederReport, ReportsAnEmptyWindowWithZeros) {
  auto csv = FeederReport(Grid(), Zone("Europe/Amsterdam"), "F2", Local("2024-03-31 02:00"),
                          Local("2024-03-31 02:59"));
  ASSERT_TRUE(csv.ok());
  EXPECT_EQ(Rows(*csv)[0],
            (std::vector<std::string>{"F2", "2024-03-31 02:00", "2024-03-31 02:59", "F2", "feeder",
                                      "0", "0.000", "0.000", "", "0.0000"}));
}

TEST(FeederReport, RejectsASelectionThatIsNotAFeeder) {
  for (const char* selection : {"F9", "T1", "M1", ""}) {
    auto csv = FeederReport(Grid(), Zone("UTC"), selection, Local("2024-01-10 00:00"),
                            Local("2024-01-10 23:59"));
    ASSERT_FALSE(csv.ok());
    EXPECT_EQ(csv.reason(),
              "unknown selection '" + std::string(selection) + "': no feeder with that id");
  }
}

}  // namespace
}  // namespace dcp::grid
