// Tests for render/tree (and render/call_tree under it): golden files tree_*.txt and invariants
// computed independently from the folded rendering of the same profile.

#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "render/call_tree.h"
#include "render/folded.h"
#include "render/profile_view.h"
#include "render/tree.h"
#include "render_fixture.h"

namespace stprof {
namespace {

using testing::expect_golden;
using testing::kFixtureSamples;
using testing::render_fixture;

std::string tree(const Profile& profile, double min_percent) {
  std::ostringstream out;
  render_tree(profile, {min_percent}, out);
  return out.str();
}

TEST(RenderTree, DefaultViewMatchesGolden) {
  expect_golden("tree_default.txt", tree(make_view(render_fixture(), {}), 0.5));
}

TEST(RenderTree, MergedNoLinenoWithAHigherCutoffMatchesGolden) {
  ViewOptions options;
  options.per_process = false;
  options.line_numbers = false;
  expect_golden("tree_merged_no_lineno_min10.txt", tree(make_view(render_fixture(), options), 10));
}

void check_node(const CallNode& node) {
  uint64_t children = 0;
  for (const CallNode& child : node.children) {
    children += child.total;
    check_node(child);
  }
  EXPECT_EQ(node.total, node.self + children) << node.name;
}

TEST(CallTree, TotalsAreSelfPlusChildrenAndTheRootIsEverySample) {
  CallNode root = build_call_tree(render_fixture(), ChildOrder::kByTotal);
  EXPECT_EQ(root.total, kFixtureSamples);
  EXPECT_EQ(root.self, 0u);
  check_node(root);
  for (size_t i = 1; i < root.children.size(); i++) {
    EXPECT_GE(root.children[i - 1].total, root.children[i].total);
  }
}

// Self counts per frame path from the folded text: the count of the line ending there.
TEST(CallTree, SelfCountsEqualFoldedLines) {
  Profile profile = render_fixture();
  std::ostringstream folded;
  render_folded(profile, {}, folded);
  std::map<std::string, uint64_t> expected;
  std::istringstream lines(folded.str());
  for (std::string line; std::getline(lines, line);) {
    size_t space = line.rfind(' ');
    expected[line.substr(0, space)] += std::stoull(line.substr(space + 1));
  }
  std::map<std::string, uint64_t> actual;
  auto walk = [&](auto& self, const CallNode& node, const std::string& path) -> void {
    if (node.self) actual[path] += node.self;
    for (const CallNode& child : node.children) {
      self(self, child, path.empty() ? child.name : path + ";" + child.name);
    }
  };
  walk(walk, build_call_tree(profile, ChildOrder::kByName), "");
  // Folded replaces ';' inside names; the tree keeps names as they are.
  std::map<std::string, uint64_t> normalized;
  for (auto& [path, count] : actual) {
    std::string fixed = path;
    size_t at = fixed.find("parse;split");
    if (at != std::string::npos) fixed.replace(at, 11, "parse:split");
    normalized[fixed] += count;
  }
  EXPECT_EQ(normalized, expected);
}

// The rendered text: the top-level totals add up to 100% and every line's total is at least
// its self share; nothing under the cutoff is printed.
TEST(RenderTree, PercentagesAddUp) {
  for (double cutoff : {0.0, 0.5, 10.0, 50.0}) {
    std::istringstream text(tree(make_view(render_fixture(), {}), cutoff));
    std::string line;
    std::getline(text, line);  // header
    double top_level = 0;
    while (std::getline(text, line)) {
      double total = std::stod(line.substr(0, 5)), self = std::stod(line.substr(8, 5));
      EXPECT_GE(total + 1e-9, self) << line;
      EXPECT_GE(total + 0.05, cutoff) << line;
      if (line.substr(16, 1) != " ") top_level += total;  // no indentation: a process
    }
    // Both processes (58.6% and 41.4%, each rounded to 0.1) unless the cutoff drops one.
    EXPECT_NEAR(top_level, cutoff < 41.4 ? 100.0 : 58.6, 0.11) << cutoff;
  }
}

// Wall mode: shares of the fixture's 1612501898 ns (render_fixture.h), worked out by hand:
// MainThread 1242501399 (77.1%); <module> and serve 1242500900 (77.1%), serve's self 10 ms
// (0.6%); recv and its read leaf 1200000400 (74.4%); handle 32500500 (2.0%), self 30 ms (1.9%);
// worker and work 370000499 (22.9%), work's self 20 ms (1.2%); the GIL leaf 350 ms (21.7%).
// Left out under 0.5%: handle's runqueue leaf (2500500 ns, 0.2%) and the 499 ns stacks.
TEST(RenderTree, WallModeSharesOfWallTime) {
  std::string text = tree(make_view(testing::wall_fixture(), {}), 0.5);
  EXPECT_EQ(text,
            "total%   self%  call tree of 1.61 s of wall time (nodes under 0.5% left out)\n"
            "100.0%    0.0%  python3.11 (1234)\n"
            " 77.1%    0.0%    MainThread (1234)\n"
            " 77.1%    0.0%      <module> (app.py:12)\n"
            " 77.1%    0.6%        serve (app.py:20)\n"
            " 74.4%    0.0%          recv (socket.py:7)\n"
            " 74.4%   74.4%            [off-CPU: read]\n"
            "  2.0%    1.9%          handle (app.py:30)\n"
            " 22.9%    0.0%    worker (1240)\n"
            " 22.9%    1.2%      work (app.py:4)\n"
            " 21.7%   21.7%        [off-CPU: GIL]\n");
  expect_golden("tree_wall.txt", text);
  CallNode root = build_call_tree(testing::wall_fixture(), ChildOrder::kByTotal);
  EXPECT_EQ(root.total, testing::kWallNs);
  check_node(root);
}

TEST(RenderTree, EmptyProfile) {
  EXPECT_EQ(tree(Profile{}, 0.5),
            "total%   self%  call tree of 0 samples (nodes under 0.5% left out)\n");
}

}  // namespace
}  // namespace stprof
