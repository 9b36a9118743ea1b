// Tests for load/folded: our own folded output read back (model facts checked against the
// fixture, render_fixture.h), FlameGraph-style files of other tools, and malformed input with
// the line each error names.

#include <gtest/gtest.h>

#include <sstream>

#include "load/folded.h"
#include "render/folded.h"
#include "render/frames.h"
#include "render/profile_view.h"
#include "render_fixture.h"

namespace stprof {
namespace {

Profile read_ok(const std::string& text) {
  Result<Profile> profile = read_folded(text);
  EXPECT_TRUE(profile.ok()) << (profile.ok() ? "" : profile.error().message);
  return profile.ok() ? *profile : Profile{};
}

std::string error_of(const std::string& text) {
  Result<Profile> profile = read_folded(text);
  return profile.ok() ? "(read without error)" : profile.error().message;
}

// "process/tid: frame;frame" for each sample, with its count.
std::map<std::string, uint64_t> stacks_of(const Profile& profile) {
  std::map<std::string, uint64_t> stacks;
  for (const Sample& sample : profile.samples) {
    const ThreadInfo& thread = profile.threads[sample.thread];
    const ProcessInfo& process = profile.processes[thread.process];
    std::string key = process.comm + "/" + std::to_string(process.pid) + "/" +
                      std::to_string(thread.tid) + ":" + end_marker(sample.end);
    for (uint32_t location : sample.locations) (key += " ") += location_label(profile, location);
    stacks[key] += sample.count;
  }
  return stacks;
}

TEST(LoadFolded, ReadsOurOwnOutput) {
  std::ostringstream folded;
  render_folded(make_view(testing::render_fixture(), {}), {}, folded);
  Profile profile = read_ok(folded.str());
  EXPECT_EQ(profile.total_samples(), testing::kFixtureSamples);
  EXPECT_EQ(profile.mode, ProfileMode::kCpu);
  EXPECT_EQ(profile.frequency_hz, 0);  // folded does not say
  ASSERT_EQ(profile.processes.size(), 2u);
  ASSERT_EQ(profile.threads.size(), 3u);
  std::map<std::string, uint64_t> expected = {
      {"app server/2000/2000: <module> (app.py:12) get (requests/api.py:73) loads "
       "(json/__init__.py:346)", 3},
      {"app server/2000/2000: <module> (app.py:12) run (app.py:8) run (app.py:8) work (app.py:4)", 1},
      {"app server/2000/2000: <module> (app.py:12) run (app.py:8) work (app.py:4)", 6},
      {"app server/2000/2000: 計算 (データ.py:3) helper (app.py)", 2},
      {"python3.11/1234/1234: <module> (app.py:12) run (app.py:8)", 3},
      {"python3.11/1234/1234: <module> (app.py:12) run (app.py:8) work (app.py:4)", 7},
      {"python3.11/1234/1234: <module> (app.py:12) run (app.py:8) work (app.py:5)", 2},
      {"python3.11/1234/1240:[partial] work (app.py:4)", 1},
      {"python3.11/1234/1240:[truncated] run (app.py:8) parse:split (lib/p.py:20)", 4},
  };
  EXPECT_EQ(stacks_of(profile), expected);
  for (const ThreadInfo& thread : profile.threads) {
    EXPECT_EQ(thread.name, thread.tid == 1240 ? "worker" : "MainThread");
  }
}

TEST(LoadFolded, FramesAreSplitIntoNameFileAndLine) {
  Profile profile = read_ok("p (7);t (8);helper (app.py);f (/srv/x (old)/m.py:12);[off-CPU: read] 1\n");
  ASSERT_EQ(profile.samples.size(), 1u);
  const Sample& sample = profile.samples[0];
  ASSERT_EQ(sample.locations.size(), 3u);
  auto parts = [&](size_t i) {
    const Location& location = profile.locations[sample.locations[i]];
    const Function& function = profile.functions[location.function];
    return profile.strings[function.name] + "|" + profile.strings[function.file] + "|" +
           std::to_string(location.line);
  };
  EXPECT_EQ(parts(0), "helper|app.py|0");
  EXPECT_EQ(parts(1), "f|/srv/x (old)/m.py|12");
  EXPECT_EQ(parts(2), "[off-CPU: read]||0");
}

// perf script | stackcollapse-perf.pl, py-spy record -f raw: no levels of ours, so none in the
// model (pid 0, tid 0), frames with and without files.
TEST(LoadFolded, FlameGraphStyleFilesOfOtherTools) {
  Profile perf = read_ok("python3;_start;main;do_work 42\npython3;_start;main 8\n");
  EXPECT_EQ(perf.total_samples(), 50u);
  ASSERT_EQ(perf.processes.size(), 1u);
  EXPECT_EQ(perf.processes[0].pid, 0);
  EXPECT_EQ(perf.threads[0].tid, 0);
  std::ostringstream folded;
  render_folded(perf, {}, folded);
  EXPECT_EQ(folded.str(), "python3;_start;main 8\npython3;_start;main;do_work 42\n");

  // CRLF line ends, a tab before the count, blank lines, a line counting 0.
  Profile pyspy = read_ok("<module> (app.py:3);main (app.py:10)\t5\r\n\n"
                          "<module> (app.py:3);idle (app.py:20) 0\r\n");
  EXPECT_EQ(pyspy.total_samples(), 5u);
  ASSERT_EQ(pyspy.samples.size(), 1u);
  EXPECT_EQ(location_label(pyspy, pyspy.samples[0].locations[1]), "main (app.py:10)");
}

TEST(LoadFolded, ContainerNamespaceAndLoneLevels) {
  Profile profile = read_ok("container:3f2a9c1b7d4e;python3 (4242, ns 7);MainThread (4242);f (a.py:1) 3\n"
                            "python3 (42);f (a.py:1) 2\n");
  ASSERT_EQ(profile.processes.size(), 2u);
  EXPECT_EQ(profile.processes[0].container_id, "3f2a9c1b7d4e");
  EXPECT_EQ(profile.processes[0].pid, 4242);
  EXPECT_EQ(profile.processes[0].ns_pid, 7);
  // A lone "name (N)" level is the process (as --no-thread writes it); no thread level.
  EXPECT_EQ(profile.processes[1].pid, 42);
  EXPECT_EQ(profile.threads[profile.samples[1].thread].tid, 0);
  ViewOptions view;
  view.container_frame = true;
  std::ostringstream folded;
  render_folded(make_view(profile, view), {}, folded);
  EXPECT_EQ(folded.str(),
            "container:3f2a9c1b7d4e;python3 (4242, ns 7);MainThread (4242);f (a.py:1) 3\n"
            "python3 (42);f (a.py:1) 2\n");
}

// What render/folded writes for a function with an empty name (a pprof file may have one) and
// for a stack without frames or levels reads back as such (found by fuzz_load_pprof).
TEST(LoadFolded, EmptyFramesAndStacks) {
  Profile profile = read_ok("a;;b 3\n 5\n");
  ASSERT_EQ(profile.samples.size(), 2u);
  ASSERT_EQ(profile.samples[0].locations.size(), 3u);
  EXPECT_EQ(location_label(profile, profile.samples[0].locations[1]), "");
  EXPECT_TRUE(profile.samples[1].locations.empty());
  std::ostringstream folded;
  render_folded(profile, {}, folded);
  EXPECT_EQ(folded.str(), " 5\na;;b 3\n");
}

TEST(LoadFolded, EmptyInputIsAnEmptyProfile) {
  EXPECT_EQ(read_ok("").total_samples(), 0u);
  EXPECT_EQ(read_ok("\n\n").samples.size(), 0u);
}

TEST(LoadFolded, MalformedLinesNameTheirLine) {
  const std::string shape = "a folded line is 'frame;frame;...;frame COUNT'";
  EXPECT_EQ(error_of("a;b 3\nc;d\n"), "line 2: no count after the stack: " + shape);
  EXPECT_EQ(error_of("a;b 3\na;b"), "line 2: no count after the stack: " + shape);  // truncated
  EXPECT_EQ(error_of("a;b 3x\n"), "line 1: '3x' is not a count (a whole number of samples): " + shape);
  EXPECT_EQ(error_of("\n\na;b -3\n"), "line 3: '-3' is not a count (a whole number of samples): " + shape);
  EXPECT_EQ(error_of("a 1.5\n"), "line 1: '1.5' is not a count (a whole number of samples): " + shape);
  EXPECT_EQ(error_of("a 99999999999999999999\n"),
            "line 1: '99999999999999999999' is not a count (a whole number of samples): " + shape);
  EXPECT_EQ(error_of("a 9223372036854775807\nb 1\n"),
            "line 2: the values add up to more than 9223372036854775807");
}

}  // namespace
}  // namespace stprof
