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

namespace stprof {
namespace {

using testing::expect_golden;
using testing::kFixtureSamples;
using testing::render_fixture;

std::string svg(const Profile& profile) {
  std::ostringstream out;
  render_svg(profile, {}, out);
  return out.str();
}

bool name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':' || c == '.' ||
         c == '-';
}

// `<` ... `>` contents: "/name", or "name" then (whitespace name="value")* then optional "/".
// Sets `name`, `closing` and `empty`; false when malformed. (No std::regex: GCC 12 warns inside
// it under the sanitizers.)
bool parse_tag(const std::string& tag, std::string& name, bool& closing, bool& empty) {
  size_t i = 0;
  closing = i < tag.size() && tag[i] == '/';
  if (closing) i++;
  size_t start = i;
  while (i < tag.size() && name_char(tag[i])) i++;
  name = tag.substr(start, i - start);
  if (name.empty() || !std::isalpha(static_cast<unsigned char>(name[0]))) return false;
  for (;;) {
    size_t space = i;
    while (i < tag.size() && std::isspace(static_cast<unsigned char>(tag[i]))) i++;
    if (i == tag.size() || tag[i] == '/') break;
    if (i == space || closing) return false;
    size_t attribute = i;
    while (i < tag.size() && name_char(tag[i])) i++;
    if (i == attribute || tag.compare(i, 2, "=\"") != 0) return false;
    size_t close = tag.find('"', i + 2);
    if (close == std::string::npos || tag.find('<', i) < close) return false;
    i = close + 1;
  }
  empty = i < tag.size();  // a trailing '/'
  return !(empty && (closing || i + 1 != tag.size()));
}

// Well-formedness as far as this document needs: one root, tags balanced, attribute values
// quoted, only the five predefined entities, no raw '<' or '&' in text, CDATA closed.
::testing::AssertionResult well_formed(const std::string& xml) {
  std::vector<std::string> open;
  size_t i = 0, roots = 0;
  auto fail = [&](const std::string& why) {
    return ::testing::AssertionFailure() << why << " at byte " << i << ": " << xml.substr(i, 60);
  };
  while (i < xml.size()) {
    if (xml[i] == '&') {
      bool known = false;
      for (const char* entity : {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"}) {
        known = known || xml.compare(i, std::strlen(entity), entity) == 0;
      }
      if (!known) return fail("bad entity");
      i++;
      continue;
    }
    if (xml[i] != '<') {
      i++;
      continue;
    }
    if (xml.compare(i, 9, "<![CDATA[") == 0) {
      size_t end = xml.find("]]>", i);
      if (end == std::string::npos) return fail("unclosed CDATA");
      i = end + 3;
      continue;
    }
    if (xml.compare(i, 2, "<?") == 0) {
      i = xml.find("?>", i) + 2;
      continue;
    }
    size_t end = xml.find('>', i);
    if (end == std::string::npos) return fail("unclosed tag");
    std::string tag = xml.substr(i + 1, end - i - 1), name;
    bool closing = false, empty = false;
    if (tag.find('<') != std::string::npos || !parse_tag(tag, name, closing, empty)) {
      return fail("malformed tag <" + tag + ">");
    }
    if (closing) {
      if (open.empty() || open.back() != name) return fail("mismatched </" + name + ">");
      open.pop_back();
    } else {
      if (open.empty()) roots++;
      if (!empty) open.push_back(name);
    }
    i = end + 1;
  }
  if (!open.empty()) return ::testing::AssertionFailure() << "unclosed <" << open.back() << ">";
  if (roots != 1) return ::testing::AssertionFailure() << roots << " root elements";
  return ::testing::AssertionSuccess();
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
