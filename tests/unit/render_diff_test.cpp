// Tests for render/diff_view and the differential modes of the svg, folded and top renderers, on
// two hand-written profiles with known shares:
//   BEFORE (100 samples): main;a;compute 60, main;b;compute 20, main;c 20
//   AFTER  (200 samples): main;a;compute 50, main;b;compute 150
// so compute under a goes from 60% to 25% (-35 points), under b from 20% to 75% (+55), c from
// 20% to nothing (-20, and c is gone), main and the root stay at 100% (0).

#include <gtest/gtest.h>

#include <functional>
#include <sstream>

#include "render/diff_view.h"
#include "render/folded.h"
#include "render/format.h"
#include "render/svg.h"
#include "render/top.h"
#include "xml_check.h"

namespace stprof {
namespace {

struct Stack {
  std::vector<std::string> functions;  // root first, in a.py: main:1, a:5, b:6, c:7, compute:9
  uint64_t count;
};

Profile profile_of(const std::vector<Stack>& stacks, ProfileMode mode = ProfileMode::kCpu) {
  ProfileBuilder builder;
  uint32_t thread = builder.thread(builder.process(0, {}), 0, "");
  for (const Stack& stack : stacks) {
    std::vector<uint32_t> locations;
    for (const std::string& function : stack.functions) {
      int line = function == "main" ? 1 : function == "a" ? 5 : function == "b" ? 6
                 : function == "c" ? 7 : 9;
      locations.push_back(builder.location(function, "a.py", line));
    }
    if (mode == ProfileMode::kWall) {
      builder.add(thread, locations, StackEnd::kComplete, 0, stack.count * 1000);
    } else {
      builder.add(thread, locations, StackEnd::kComplete, stack.count);
    }
  }
  builder.profile().mode = mode;
  return builder.profile();
}

Profile before_profile(ProfileMode mode = ProfileMode::kCpu) {
  return profile_of({{{"main", "a", "compute"}, 60}, {{"main", "b", "compute"}, 20},
                     {{"main", "c"}, 20}}, mode);
}

Profile after_profile(ProfileMode mode = ProfileMode::kCpu) {
  return profile_of({{{"main", "a", "compute"}, 50}, {{"main", "b", "compute"}, 150}}, mode);
}

ProfileDiff diff_of(const Profile& before, const Profile& after, bool absolute = false) {
  Result<ProfileDiff> diff = make_diff(before, after, {absolute});
  EXPECT_TRUE(diff.ok());
  return diff.ok() ? *diff : ProfileDiff{};
}

const DiffNode& node(const ProfileDiff& diff, const std::vector<std::string>& path) {
  const DiffNode* at = &diff.root;
  for (const std::string& name : path) {
    const DiffNode* next = nullptr;
    for (const DiffNode& child : at->children) {
      if (child.name == name) next = &child;
    }
    EXPECT_NE(next, nullptr) << name;
    if (!next) return diff.root;
    at = next;
  }
  return *at;
}

std::string rendered(const ProfileDiff& diff, Format format, double min_percent = 0.5) {
  RenderOptions options;
  options.min_percent = min_percent;
  Result<std::string> text = render_diff(diff, format, options);
  EXPECT_TRUE(text.ok());
  return text.ok() ? *text : "";
}

const std::vector<std::string> kA = {"main (a.py:1)", "a (a.py:5)", "compute (a.py:9)"};
const std::vector<std::string> kB = {"main (a.py:1)", "b (a.py:6)", "compute (a.py:9)"};
const std::vector<std::string> kC = {"main (a.py:1)", "c (a.py:7)"};

TEST(DiffView, ChangesOfShares) {
  ProfileDiff diff = diff_of(before_profile(), after_profile());
  EXPECT_EQ(diff.before_all, 100u);
  EXPECT_EQ(diff.after_all, 200u);
  const DiffNode& a = node(diff, kA);
  EXPECT_EQ(a.before, 60u);
  EXPECT_EQ(a.after, 50u);
  EXPECT_DOUBLE_EQ(diff.change(a.before, a.after), -35.0);
  const DiffNode& b = node(diff, kB);
  EXPECT_DOUBLE_EQ(diff.change(b.before, b.after), 55.0);
  const DiffNode& c = node(diff, kC);
  EXPECT_EQ(c.after, 0u);
  EXPECT_DOUBLE_EQ(diff.change(c.before, c.after), -20.0);
  EXPECT_EQ(diff.change(node(diff, {"main (a.py:1)"}).before, node(diff, {"main (a.py:1)"}).after), 0.0);
  EXPECT_EQ(diff.change(diff.root.before, diff.root.after), 0.0);
  ASSERT_EQ(diff.gone.size(), 1u);
  EXPECT_EQ(diff.gone[0].function, "c");
  EXPECT_EQ(diff.gone[0].file, "a.py");
  EXPECT_EQ(diff.gone[0].before, 20u);
}

TEST(DiffView, AbsoluteChanges) {
  ProfileDiff diff = diff_of(before_profile(), after_profile(), true);
  const DiffNode& a = node(diff, kA);
  EXPECT_EQ(diff.change(a.before, a.after), -10.0);
  const DiffNode& b = node(diff, kB);
  EXPECT_EQ(diff.change(b.before, b.after), 130.0);
  EXPECT_EQ(diff.change(diff.root.before, diff.root.after), 100.0);
}

// Every frame of a profile compared with itself, or with the same profile at a multiple of its
// counts, changes by exactly 0; nothing is gone.
TEST(DiffView, IdenticalInputsChangeNothing) {
  Profile doubled = profile_of({{{"main", "a", "compute"}, 120}, {{"main", "b", "compute"}, 40},
                                {{"main", "c"}, 40}});
  for (const Profile& other : {before_profile(), doubled}) {
    ProfileDiff diff = diff_of(before_profile(), other);
    std::function<void(const DiffNode&)> check = [&](const DiffNode& n) {
      EXPECT_EQ(diff.change(n.before, n.after), 0.0) << n.name;
      for (const DiffNode& child : n.children) check(child);
    };
    check(diff.root);
    EXPECT_TRUE(diff.gone.empty());
    std::string svg = rendered(diff, Format::kSvg);
    size_t fills = 0;
    for (size_t at = svg.find(" fill=\"rgb("); at != std::string::npos; at = svg.find(" fill=\"rgb(", at + 1)) {
      if (svg.compare(at, 18, " fill=\"rgb(248,248") == 0) continue;  // the background
      EXPECT_EQ(svg.compare(at, 24, " fill=\"rgb(220,220,220)\""), 0) << svg.substr(at, 30);
      fills++;
    }
    EXPECT_EQ(fills, 7u);  // all, main, a, compute, b, compute, c
    EXPECT_EQ(rendered(diff, Format::kTop, 0), "before%   after%   change  function  file:line\n"
                                               "(2 more whose self share changed by under 0% left out)\n");
  }
  EXPECT_EQ(rendered(diff_of(before_profile(), before_profile()), Format::kFolded),
            "main (a.py:1);a (a.py:5);compute (a.py:9) 60 60\n"
            "main (a.py:1);b (a.py:6);compute (a.py:9) 20 20\n"
            "main (a.py:1);c (a.py:7) 20 20\n");
}

// difffolded.pl's format; with shares, BEFORE scaled to AFTER's total (200 / 100), as -n does.
TEST(DiffFolded, StackBeforeAfter) {
  EXPECT_EQ(rendered(diff_of(before_profile(), after_profile()), Format::kFolded),
            "main (a.py:1);a (a.py:5);compute (a.py:9) 120 50\n"
            "main (a.py:1);b (a.py:6);compute (a.py:9) 40 150\n"
            "main (a.py:1);c (a.py:7) 40 0\n");
  EXPECT_EQ(rendered(diff_of(before_profile(), after_profile(), true), Format::kFolded),
            "main (a.py:1);a (a.py:5);compute (a.py:9) 60 50\n"
            "main (a.py:1);b (a.py:6);compute (a.py:9) 20 150\n"
            "main (a.py:1);c (a.py:7) 20 0\n");
  // Wall mode: microseconds (the stacks above at 1000 ns a count).
  EXPECT_EQ(rendered(diff_of(before_profile(ProfileMode::kWall), after_profile(ProfileMode::kWall),
                             true), Format::kFolded),
            "main (a.py:1);a (a.py:5);compute (a.py:9) 60 50\n"
            "main (a.py:1);b (a.py:6);compute (a.py:9) 20 150\n"
            "main (a.py:1);c (a.py:7) 20 0\n");
}

// Self shares: compute 80% -> 100% (+20), c 20% -> 0% (-20); ties in name order.
TEST(DiffTop, LargestChangesAndWhatIsGone) {
  EXPECT_EQ(rendered(diff_of(before_profile(), after_profile()), Format::kTop),
            "before%   after%   change  function  file:line\n"
            "  20.0%     0.0%   -20.0%  c         a.py:7\n"
            "  80.0%   100.0%   +20.0%  compute   a.py:9\n"
            "\n"
            "In BEFORE only (the share of BEFORE they were on the stack of):\n"
            "  20.0%  c  a.py\n");
  EXPECT_EQ(rendered(diff_of(before_profile(), after_profile(), true), Format::kTop),
            " before    after   change  function  file:line\n"
            "     80      200     +120  compute   a.py:9\n"
            "     20        0      -20  c         a.py:7\n"
            "\n"
            "In BEFORE only (the share of BEFORE they were on the stack of):\n"
            "  20.0%  c  a.py\n");
  // Under --min-percent: left out and counted.
  EXPECT_NE(rendered(diff_of(before_profile(), after_profile()), Format::kTop, 25)
                .find("(2 more whose self share changed by under 25% left out)\n"),
            std::string::npos);
}

// Widths from AFTER, red for growth and blue for shrinkage, saturated in proportion to the
// change (+55 the largest: full red; -35: 210 x (1 - 35/55) = 76), grey for none.
TEST(DiffSvg, ColoursTitlesAndGoneNote) {
  std::string svg = rendered(diff_of(before_profile(), after_profile()), Format::kSvg);
  EXPECT_TRUE(testing::well_formed(svg));
  EXPECT_NE(svg.find("<title>compute (a.py:9)\nafter: 150 samples (75.00%), before: 20 samples "
                     "(20.00%), change: +55.00%</title><rect x=\"305.00\" y=\"56\" width=\"885.00\" "
                     "height=\"15\" rx=\"2\" fill=\"rgb(255,0,0)\"/>"),
            std::string::npos)
      << svg;
  EXPECT_NE(svg.find("<title>compute (a.py:9)\nafter: 50 samples (25.00%), before: 60 samples "
                     "(60.00%), change: -35.00%</title><rect x=\"10.00\" y=\"56\" width=\"295.00\" "
                     "height=\"15\" rx=\"2\" fill=\"rgb(76,76,255)\"/>"),
            std::string::npos);
  EXPECT_NE(svg.find("<title>main (a.py:1)\nafter: 200 samples (100.00%), before: 100 samples "
                     "(100.00%), change: none</title>"),
            std::string::npos);
  EXPECT_EQ(svg.find("<title>c (a.py:7)"), std::string::npos);  // no width in AFTER
  EXPECT_NE(svg.find(">  20.00%  c (a.py)</text>"), std::string::npos);
  EXPECT_NE(svg.find("widths: AFTER, 200 samples (BEFORE: 100 samples); red: a larger share "
                     "than in BEFORE, blue: a smaller one; the strongest colour: 55.00%"),
            std::string::npos);
}

TEST(DiffView, ProfilesOfDifferentModesAreNotCompared) {
  Result<ProfileDiff> diff = make_diff(before_profile(), after_profile(ProfileMode::kWall), {});
  ASSERT_FALSE(diff.ok());
  EXPECT_EQ(diff.error().message, "cannot compare a CPU-mode profile with a wall-mode one: their "
                                  "values measure different things");
  EXPECT_FALSE(render_diff(diff_of(before_profile(), after_profile()), Format::kPprof, {}).ok());
}

}  // namespace
}  // namespace stprof
