// Tests for render/folded: a small synthetic profile rendered with each option set and compared
// with hand-written golden files in tests/golden/ (folded_*.txt).

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

#include "collate/profile.h"
#include "render/folded.h"
#include "render/profile_view.h"
#include "render_fixture.h"

#ifndef STPROF_GOLDEN_DIR
#error "compile with -DSTPROF_GOLDEN_DIR=\"<repo>/tests/golden\""
#endif

namespace stprof {
namespace {

// Two processes, three threads:
//   python3.11 (1234): MainThread (1234), worker (1240)
//   app server (2000): MainThread (2000)
// with nested stacks, one truncated and one partial stack, a function whose name contains ';',
// non-ASCII names, and one stack added twice (merged by the builder: 5 + 2 = 7).
Profile sample_profile() {
  ProfileBuilder builder;
  uint32_t python = builder.process(1, {1234, 1234, "python3.11", "3.11.2", "", "", ""});
  uint32_t server = builder.process(2, {2000, 2000, "app server", "3.11.7", "", "", ""});
  uint32_t python_main = builder.thread(python, 1234, "MainThread");
  uint32_t python_worker = builder.thread(python, 1240, "worker");
  uint32_t server_main = builder.thread(server, 2000, "MainThread");

  uint32_t module = builder.location("<module>", "app.py", 12);
  uint32_t run = builder.location("run", "app.py", 8);
  uint32_t work = builder.location("work", "app.py", 4);
  uint32_t parse = builder.location("parse;split", "lib/p.py", 20);
  uint32_t compute = builder.location("計算", "データ.py", 3);
  uint32_t helper = builder.location("helper", "app.py", 0);  // line unknown

  builder.add(python_main, {module, run, work}, StackEnd::kComplete, 5);
  builder.add(python_main, {module, run}, StackEnd::kComplete, 3);
  builder.add(python_main, {module, run, work}, StackEnd::kComplete, 2);
  builder.add(python_worker, {run, parse}, StackEnd::kTruncated, 4);
  builder.add(python_worker, {work}, StackEnd::kPartial, 1);
  builder.add(server_main, {module, run, work}, StackEnd::kComplete, 6);
  builder.add(server_main, {compute, helper}, StackEnd::kComplete, 2);
  return builder.profile();
}

std::string render(const Profile& profile, bool process_frame, bool thread_frame) {
  FoldedOptions options;
  options.process_frame = process_frame;
  options.thread_frame = thread_frame;
  std::ostringstream out;
  render_folded(profile, options, out);
  return out.str();
}

std::string read_golden(const std::string& name) {
  std::string path = std::string(STPROF_GOLDEN_DIR) + "/" + name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << "cannot open golden file " << path;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Sum of the trailing " N" of every line.
uint64_t sum_of_counts(const std::string& folded) {
  uint64_t total = 0;
  std::istringstream lines(folded);
  for (std::string line; std::getline(lines, line);) {
    size_t space = line.rfind(' ');
    EXPECT_NE(space, std::string::npos) << "no count on line: " << line;
    if (space == std::string::npos) continue;
    total += std::stoull(line.substr(space + 1));
  }
  return total;
}

TEST(RenderFolded, BuilderMergesIdenticalStacks) {
  Profile profile = sample_profile();
  EXPECT_EQ(profile.samples.size(), 6u);
  EXPECT_EQ(profile.total_samples(), 23u);
}

TEST(RenderFolded, DefaultMatchesGolden) {
  EXPECT_EQ(render(sample_profile(), true, true), read_golden("folded_default.txt"));
}

TEST(RenderFolded, NoProcessFrameMatchesGolden) {
  EXPECT_EQ(render(sample_profile(), false, true), read_golden("folded_no_process.txt"));
}

TEST(RenderFolded, NoThreadNoProcessMatchesGoldenAndMergesAcrossThreads) {
  EXPECT_EQ(render(sample_profile(), false, false), read_golden("folded_no_thread_no_process.txt"));
}

TEST(RenderFolded, CountsSumToTotalSamplesWithEveryOptionSet) {
  Profile profile = sample_profile();
  for (bool process_frame : {true, false}) {
    for (bool thread_frame : {true, false}) {
      EXPECT_EQ(sum_of_counts(render(profile, process_frame, thread_frame)),
                profile.total_samples())
          << "process_frame=" << process_frame << " thread_frame=" << thread_frame;
    }
  }
}

TEST(RenderFolded, SeparatorsInsideNamesAreReplaced) {
  ProfileBuilder builder;
  uint32_t thread = builder.thread(builder.process(1, {1, 1, "a;b", "3.11.2", "", "", ""}), 1, "t;1\nx");
  builder.add(thread, {builder.location("f;g\r", "x;y.py", 2)}, StackEnd::kComplete, 1);
  EXPECT_EQ(render(builder.profile(), true, true), "a:b (1);t:1:x (1);f:g: (x:y.py:2) 1\n");
}

TEST(RenderFolded, AFrameWithoutAFileIsItsNameAlone) {
  ProfileBuilder builder;
  uint32_t thread = builder.thread(builder.process(1, {1, 1, "p", "3.11.2", "", "", ""}), 1, "t");
  uint32_t f = builder.location("f", "m.py", 3);
  builder.add(thread, {f, builder.location("[off-CPU: read]", "", 0)}, StackEnd::kComplete, 1);
  EXPECT_EQ(render(builder.profile(), true, true), "p (1);t (1);f (m.py:3);[off-CPU: read] 1\n");
}

// Wall mode: microseconds, from the fixture's nanoseconds (render_fixture.h) by hand: 1 on-CPU
// sample = 10 ms = 10000 us; 1200000400 ns -> 1200000 us; 2500500 ns -> 2501 us; the two 499 ns
// stacks (one per thread) round to 0 and are left out.
TEST(RenderFolded, WallModeLinesAreMicroseconds) {
  std::string text = render(make_view(testing::wall_fixture(), {}), true, true);
  const std::string main =
      "python3.11 (1234);MainThread (1234);<module> (app.py:12);serve (app.py:20)";
  const std::string worker = "python3.11 (1234);worker (1240);work (app.py:4)";
  EXPECT_EQ(text, main + " 10000\n" +
                      main + ";handle (app.py:30) 30000\n" +
                      main + ";handle (app.py:30);[off-CPU: runqueue] 2501\n" +
                      main + ";recv (socket.py:7);[off-CPU: read] 1200000\n" +
                      worker + " 20000\n" +
                      worker + ";[off-CPU: GIL] 350000\n");
  testing::expect_golden("folded_wall.txt", text);
}

// Identical lines add their nanoseconds before rounding: the threads' two 499 ns stacks make one
// line of 998 ns, 1 us.
TEST(RenderFolded, WallModeSumsNanosecondsBeforeRounding) {
  std::string text = render(testing::wall_fixture(), false, false);
  EXPECT_NE(text.find("\nwork (app.py:4);[off-CPU: runqueue] 1\n"), std::string::npos) << text;
  EXPECT_EQ(sum_of_counts(text), 10000u + 30000 + 2501 + 1200000 + 20000 + 350000 + 1);
}

TEST(RenderFolded, EmptyProfileRendersNothing) {
  ProfileBuilder builder;
  EXPECT_EQ(render(builder.profile(), true, true), "");
}

TEST(RenderFolded, SameProfileAlwaysRendersTheSameText) {
  // Samples added in the opposite order render identically (lines are sorted).
  ProfileBuilder forward, backward;
  for (ProfileBuilder* builder : {&forward, &backward}) {
    uint32_t thread = builder->thread(builder->process(1, {1, 1, "p", "3.11.2", "", "", ""}), 1, "t");
    uint32_t a = builder->location("a", "m.py", 1);
    uint32_t b = builder->location("b", "m.py", 2);
    if (builder == &forward) {
      builder->add(thread, {a}, StackEnd::kComplete, 1);
      builder->add(thread, {b}, StackEnd::kComplete, 2);
    } else {
      builder->add(thread, {b}, StackEnd::kComplete, 2);
      builder->add(thread, {a}, StackEnd::kComplete, 1);
    }
  }
  std::string text = render(forward.profile(), true, true);
  EXPECT_EQ(text, "p (1);t (1);a (m.py:1) 1\np (1);t (1);b (m.py:2) 2\n");
  EXPECT_EQ(render(backward.profile(), true, true), text);
}

}  // namespace
}  // namespace stprof
