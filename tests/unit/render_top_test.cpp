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
  std::vector<std::string> lines = top_table(rows, kFixtureSamples, 3, 50);
  ASSERT_EQ(lines.size(), 4u);  // header + 3
  for (const std::string& line : lines) EXPECT_LE(display_width(line), 50u) << line;
  EXPECT_EQ(top_table(rows, kFixtureSamples, 100, std::numeric_limits<size_t>::max()).size(),
            rows.size() + 1);
}

}  // namespace
}  // namespace stprof
