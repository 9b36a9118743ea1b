// Tests for render/profile_view: the grouping knobs as a Profile -> Profile transformation,
// checked through folded output (golden files folded_view_*.txt) and invariants.

#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "render/folded.h"
#include "render/frames.h"
#include "render/profile_view.h"
#include "render_fixture.h"

namespace stprof {
namespace {

using testing::expect_golden;
using testing::kFixtureSamples;
using testing::render_fixture;

std::string folded(const Profile& profile) {
  std::ostringstream out;
  render_folded(profile, {}, out);
  return out.str();
}

ViewOptions view(bool per_process, bool per_thread, bool line_numbers, bool full_filenames) {
  ViewOptions options;
  options.per_process = per_process;
  options.per_thread = per_thread;
  options.line_numbers = line_numbers;
  options.full_filenames = full_filenames;
  return options;
}

TEST(ShortFilename, LibraryPathsAreShortened) {
  EXPECT_EQ(short_filename("/usr/lib/python3.11/json/__init__.py"), "json/__init__.py");
  EXPECT_EQ(short_filename("/usr/local/lib/python3.12/threading.py"), "threading.py");
  EXPECT_EQ(short_filename("/opt/pyenv/versions/3.13.0/lib/python3.13t/asyncio/events.py"),
            "asyncio/events.py");
  EXPECT_EQ(short_filename("/usr/lib64/python3.9/os.py"), "os.py");
  EXPECT_EQ(short_filename("/usr/lib/python3/dist-packages/requests/api.py"), "requests/api.py");
  EXPECT_EQ(short_filename("/srv/venv/lib/python3.11/site-packages/flask/app.py"), "flask/app.py");
  // site-packages wins over the lib/pythonX.Y/ it sits in, the last one over earlier ones.
  EXPECT_EQ(short_filename("/a/site-packages/b/site-packages/c.py"), "c.py");
}

TEST(ShortFilename, OtherPathsAreKept) {
  for (const char* path :
       {"/home/me/app/main.py", "app.py", "<frozen importlib._bootstrap>", "<string>",
        "/usr/lib/python3.11/", "/opt/lib/pythonic/x.py", "/usr/lib/python/x.py", ""}) {
    EXPECT_EQ(short_filename(path), path);
  }
}

TEST(ProfileView, DefaultViewOnlyShortensFilenames) {
  Profile profile = render_fixture();
  expect_golden("folded_view_default.txt", folded(make_view(profile, ViewOptions{})));
  ViewOptions full;
  full.full_filenames = true;
  EXPECT_EQ(folded(make_view(profile, full)), folded(profile));
}

TEST(ProfileView, MergedMatchesGolden) {
  expect_golden("folded_view_merged.txt",
                folded(make_view(render_fixture(), view(false, true, true, false))));
}

TEST(ProfileView, NoThreadMatchesGolden) {
  expect_golden("folded_view_no_thread.txt",
                folded(make_view(render_fixture(), view(true, false, true, false))));
}

TEST(ProfileView, MergedNoThreadNoLinenoMatchesGolden) {
  expect_golden("folded_view_merged_no_thread_no_lineno.txt",
                folded(make_view(render_fixture(), view(false, false, false, true))));
}

TEST(ProfileView, NoProcessFlagAndMergedViewAgree) {
  // --no-process (folded's own option) and --merged (a view) print the same stacks.
  Profile profile = render_fixture();
  std::ostringstream no_process;
  render_folded(profile, {false, true}, no_process);
  EXPECT_EQ(folded(make_view(profile, view(false, true, true, true))), no_process.str());
  std::ostringstream neither;
  render_folded(profile, {false, false}, neither);
  EXPECT_EQ(folded(make_view(profile, view(false, false, true, true))), neither.str());
}

TEST(ProfileView, EveryViewKeepsTheTotalAndMarksMergedLevels) {
  Profile profile = render_fixture();
  for (int bits = 0; bits < 16; bits++) {
    ViewOptions options = view(bits & 1, bits & 2, bits & 4, bits & 8);
    Profile v = make_view(profile, options);
    EXPECT_EQ(v.total_samples(), kFixtureSamples) << bits;
    EXPECT_EQ(v.frequency_hz, profile.frequency_hz);
    EXPECT_EQ(v.duration_seconds, profile.duration_seconds);
    EXPECT_EQ(v.processes.size(), options.per_process ? 2u : 1u) << bits;
    for (const ProcessInfo& process : v.processes)
      EXPECT_EQ(shows_process(process), options.per_process);
    for (const ThreadInfo& thread : v.threads) EXPECT_EQ(shows_thread(thread), options.per_thread);
    EXPECT_EQ(v.threads.size(), options.per_thread ? 3u : v.processes.size()) << bits;
    for (const Location& location : v.locations) {
      if (!options.line_numbers) {
        EXPECT_EQ(location.line, 0);
      }
    }
    // Identical stacks are merged: no two samples share (thread, stack, end).
    std::set<std::tuple<uint32_t, std::vector<uint32_t>, StackEnd>> seen;
    for (const Sample& sample : v.samples) {
      EXPECT_TRUE(seen.emplace(sample.thread, sample.locations, sample.end).second) << bits;
    }
  }
}

TEST(ProfileView, MergedStacksAddTheirOffCpuNanosecondsAndKeepTheMode) {
  Profile profile = testing::wall_fixture();
  ASSERT_EQ(profile.samples.size(), 8u);
  for (int bits = 0; bits < 16; bits++) {
    Profile v = make_view(profile, view(bits & 1, bits & 2, bits & 4, bits & 8));
    EXPECT_EQ(v.mode, ProfileMode::kWall) << bits;
    EXPECT_EQ(v.total_samples(), 6u) << bits;
    EXPECT_EQ(v.total_value(), testing::kWallNs) << bits;
  }
  // Without the thread level, both threads' "work;[off-CPU: runqueue]" (499 ns each) become one
  // sample of 998 ns; nothing else merges.
  Profile merged = make_view(profile, view(true, false, true, false));
  EXPECT_EQ(merged.samples.size(), 7u);
  size_t found = 0;
  for (const Sample& sample : merged.samples) {
    if (sample.locations.size() != 2) continue;
    if (location_label(merged, sample.locations.back()) != "[off-CPU: runqueue]") continue;
    found++;
    EXPECT_EQ(sample.off_cpu_ns, 998u);
    EXPECT_EQ(sample.count, 0u);
  }
  EXPECT_EQ(found, 1u);
}

TEST(ProfileView, NoLinenoMergesLinesOfAFunction) {
  Profile v = make_view(render_fixture(), view(true, true, false, false));
  std::set<std::pair<std::string, std::string>> functions;
  for (const Location& location : v.locations) {
    const Function& function = v.functions[location.function];
    EXPECT_TRUE(functions.emplace(v.strings[function.name], v.strings[function.file]).second);
  }
}

}  // namespace
}  // namespace stprof
