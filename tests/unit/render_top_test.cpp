// Tests for render/top: golden files top_*.txt, and self/total computed independently from the
// folded rendering of the same profile.

#include <gtest/gtest.h>

#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "render/folded.h"
#include "render/frames.h"
#include "render/profile_view.h"
#include "render/top.h"
#include "render_fixture.h"

namespace stprof {
namespace {

using testing::expect_golden;
using testing::kFixtureSamples;
using testing::render_fixture;

std::string top(const Profile& profile, double min_percent) {
  std::ostringstream out;
  render_top(profile, {min_percent}, out);
  return out.str();
}

TEST(RenderTop, DefaultViewMatchesGolden) {
  expect_golden("top_default.txt", top(make_view(render_fixture(), {}), 0.5));
}

TEST(RenderTop, NoLinenoWithACutoffMatchesGolden) {
  ViewOptions options;
  options.line_numbers = false;
  expect_golden("top_no_lineno_min20.txt", top(make_view(render_fixture(), options), 20));
}

// Folded frames "name (file:line)" -> self = count of lines ending in the frame; total = count
// of lines containing it at least once.
TEST(TopRows, SelfAndTotalEqualWhatFoldedLinesSay) {
  Profile profile = render_fixture();
  std::ostringstream folded;
  render_folded(profile, {false, false}, folded);
  std::map<std::string, uint64_t> self, total;
  std::istringstream lines(folded.str());
  for (std::string line; std::getline(lines, line);) {
    size_t space = line.rfind(' ');
    uint64_t count = std::stoull(line.substr(space + 1));
    std::set<std::string> frames;
    std::istringstream parts(line.substr(0, space));
    std::string frame;
    while (std::getline(parts, frame, ';')) {
      if (frame[0] != '[') frames.insert(frame);
    }
    self[frame] += count;  // the last one
    for (const std::string& f : frames) total[f] += count;
  }
  std::vector<TopRow> rows = top_rows(profile);
  uint64_t self_sum = 0;
  for (const TopRow& row : rows) {
    std::string frame = row.function + " (" + row.file_line + ")";
    if (frame.find(';') != std::string::npos) frame.replace(frame.find(';'), 1, ":");
    EXPECT_EQ(row.self, self[frame]) << frame;
    EXPECT_EQ(row.total, total[frame]) << frame;
    EXPECT_GE(row.total, row.self);
    self_sum += row.self;
  }
  EXPECT_EQ(rows.size(), total.size());
  EXPECT_EQ(self_sum, kFixtureSamples);  // every sample has exactly one leaf
  for (size_t i = 1; i < rows.size(); i++) EXPECT_GE(rows[i - 1].self, rows[i].self);
}

TEST(RenderTop, SelfPercentagesSumTo100) {
  std::istringstream text(top(render_fixture(), 0));
  std::string line;
  std::getline(text, line);
  double sum = 0;
  uint64_t samples = 0;
  while (std::getline(text, line)) {
    sum += std::stod(line.substr(0, 5));
    samples += std::stoull(line.substr(17, 8));
  }
  EXPECT_NEAR(sum, 100.0, 0.5);
  EXPECT_EQ(samples, kFixtureSamples);
}

TEST(TopTable, FitsTheWidthAndRowCount) {
  std::vector<TopRow> rows = top_rows(render_fixture());
  std::vector<std::string> lines = top_table(rows, kFixtureSamples, ProfileMode::kCpu, 3, 50);
  ASSERT_EQ(lines.size(), 4u);  // header + 3
  for (const std::string& line : lines) EXPECT_LE(display_width(line), 50u) << line;
  EXPECT_EQ(top_table(rows, kFixtureSamples, ProfileMode::kCpu, 100,
                      std::numeric_limits<size_t>::max())
                .size(),
            rows.size() + 1);
}

// Wall mode: self and total of each location from the fixture's nanoseconds (render_fixture.h),
// worked out by hand, as shares of its 1612501898 ns. Self: read 1200000400, GIL 350000000,
// handle 30 ms, work 20 ms, serve 10 ms, runqueue 2500500 + 499 + 499 = 2501498 (0.16%: left
// out). Total: <module> and serve 1242500900; recv 1200000400; work 370000998 (its 499 ns
// MainThread stack included); handle 32500500.
TEST(RenderTop, WallModeSharesOfWallTime) {
  std::string text = top(make_view(testing::wall_fixture(), {}), 0.5);
  EXPECT_EQ(text,
            " self%   total%  wall time  function         file:line\n"
            " 74.4%    74.4%     1.20 s  [off-CPU: read]\n"
            " 21.7%    21.7%     350 ms  [off-CPU: GIL]\n"
            "  1.9%     2.0%    30.0 ms  handle           app.py:30\n"
            "  1.2%    22.9%    20.0 ms  work             app.py:4\n"
            "  0.6%    77.1%    10.0 ms  serve            app.py:20\n"
            "  0.0%    77.1%       0 ns  <module>         app.py:12\n"
            "  0.0%    74.4%       0 ns  recv             socket.py:7\n"
            "(1 more with under 0.5% total left out: 0.2% self together)\n");
  expect_golden("top_wall.txt", text);
  uint64_t self = 0;
  for (const TopRow& row : top_rows(testing::wall_fixture())) self += row.self;
  EXPECT_EQ(self, testing::kWallNs);  // every sample has exactly one leaf
}

TEST(TopTable, WallTimeColumnIsAlignedByDisplayWidth) {
  std::vector<TopRow> rows = {{"f", "m.py:1", 12500, 12500}, {"g", "m.py:2", 499, 499}};
  std::vector<std::string> lines = top_table(rows, 12999, ProfileMode::kWall, 10, 80);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1], " 96.2%    96.2%    12.5 µs  f         m.py:1");
  EXPECT_EQ(lines[2], "  3.8%     3.8%     499 ns  g         m.py:2");
}

}  // namespace
}  // namespace stprof
