// Tests for render/svg: golden file svg_default.txt; the document is well-formed XML (a small
// checker below; the e2e test also parses a real one with Python's XML parser and renders it in
// Chromium); frames' sample counts nest and add up to the profile's total.

#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <cstring>
#include <map>
#include <sstream>
#include <vector>

#include "render/profile_view.h"
#include "render/svg.h"
#include "render_fixture.h"
#include "xml_check.h"

namespace stprof {
namespace {

using testing::expect_golden;
using testing::kFixtureSamples;
using testing::render_fixture;
using testing::well_formed;

std::string svg(const Profile& profile) {
  std::ostringstream out;
  render_svg(profile, {}, out);
  return out.str();
}

struct FrameBox {
  uint64_t start, samples;
  int depth;
};

std::vector<FrameBox> frames_of(const std::string& document) {
  std::vector<FrameBox> frames;
  const std::string opening = "<g class=\"f\" data-s=\"";
  for (size_t at = document.find(opening); at != std::string::npos;
       at = document.find(opening, at + 1)) {
    unsigned long long start = 0, samples = 0;
    int depth = 0;
    EXPECT_EQ(std::sscanf(document.c_str() + at + opening.size(),
                          "%llu\" data-n=\"%llu\" data-d=\"%d\"", &start, &samples, &depth),
              3);
    frames.push_back({start, samples, depth});
  }
  return frames;
}

TEST(RenderSvg, DefaultViewMatchesGolden) {
  expect_golden("svg_default.txt", svg(make_view(render_fixture(), {})));
}

TEST(RenderSvg, IsWellFormedXml) {
  EXPECT_TRUE(well_formed(svg(make_view(render_fixture(), {}))));
  EXPECT_TRUE(well_formed(svg(Profile{})));
  // Markup and invalid UTF-8 in names do not break the document.
  ProfileBuilder builder;
  ProcessInfo info;
  info.pid = 7;
  info.comm = "a<b>&\"c'";
  uint32_t thread = builder.thread(builder.process(7, info), 7, "t\x01\xff");
  builder.add(thread, {builder.location("f</text>]]>", "x&y.py", 1)}, StackEnd::kComplete, 1);
  std::string document = svg(builder.profile());
  EXPECT_TRUE(well_formed(document));
  EXPECT_NE(document.find("a&lt;b&gt;&amp;&quot;c&apos; (7)"), std::string::npos);
  EXPECT_NE(document.find("t?\xEF\xBF\xBD (7)"), std::string::npos);
  EXPECT_TRUE(well_formed("<a><b x=\"1\"/></a>"));
  EXPECT_FALSE(well_formed("<a><b x=1/></a>"));
  EXPECT_FALSE(well_formed("<a></a><b/>"));
  EXPECT_FALSE(well_formed("<a><b></a></b>"));
  EXPECT_FALSE(well_formed("<a>x & y</a>"));
}

TEST(RenderSvg, FramesNestAndAddUp) {
  std::vector<FrameBox> frames = frames_of(svg(make_view(render_fixture(), {})));
  ASSERT_FALSE(frames.empty());
  EXPECT_EQ(frames[0].depth, 0);  // "all"
  EXPECT_EQ(frames[0].samples, kFixtureSamples);
  std::map<int, uint64_t> per_depth;
  for (const FrameBox& frame : frames) {
    per_depth[frame.depth] += frame.samples;
    if (frame.depth == 0) continue;
    bool has_parent = false;
    for (const FrameBox& parent : frames) {
      has_parent = has_parent || (parent.depth == frame.depth - 1 && parent.start <= frame.start &&
                                  frame.start + frame.samples <= parent.start + parent.samples);
    }
    EXPECT_TRUE(has_parent) << frame.start << "+" << frame.samples << " at " << frame.depth;
  }
  for (const auto& [depth, samples] : per_depth) EXPECT_LE(samples, kFixtureSamples) << depth;
  EXPECT_EQ(per_depth[1], kFixtureSamples);  // processes
  EXPECT_EQ(per_depth[2], kFixtureSamples);  // threads
}

// Wall mode: frames are laid out in nanoseconds and their tooltips say times; numbers from the
// fixture (render_fixture.h): 1612501898 ns in all, the read leaf 1200000400 ns (74.42%), the GIL
// leaf 350 ms (21.71%).
TEST(RenderSvg, WallModeFramesAreWallTime) {
  std::string document = svg(make_view(testing::wall_fixture(), {}));
  expect_golden("svg_wall.txt", document);
  EXPECT_TRUE(well_formed(document));
  EXPECT_NE(document.find(">1.61 s of wall time at 100 Hz over 2.0 s</text>"), std::string::npos);
  EXPECT_NE(document.find("<title>[off-CPU: read]\n1.20 s of wall time (74.42%)</title>"),
            std::string::npos);
  EXPECT_NE(document.find("<title>[off-CPU: GIL]\n350 ms of wall time (21.71%)</title>"),
            std::string::npos);
  std::vector<FrameBox> frames = frames_of(document);
  ASSERT_FALSE(frames.empty());
  EXPECT_EQ(frames[0].samples, testing::kWallNs);  // "all"
  std::map<int, uint64_t> per_depth;
  for (const FrameBox& frame : frames) per_depth[frame.depth] += frame.samples;
  EXPECT_EQ(per_depth[1], testing::kWallNs);  // the process
  EXPECT_EQ(per_depth[2], testing::kWallNs);  // its two threads
}

TEST(RenderSvg, ScriptHasNoCdataEnd) {
  std::string document = svg(Profile{});
  size_t begin = document.find("<![CDATA[");
  ASSERT_NE(begin, std::string::npos);
  EXPECT_EQ(document.find("]]>", begin), document.find("]]></script>"));
}

}  // namespace
}  // namespace stprof
