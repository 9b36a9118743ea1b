// Tests for load/speedscope: our own speedscope files read back (CPU and wall mode), a file of
// another tool (its own profile names, a time unit, fractional weights), and malformed files
// with the byte or field each error names.

#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "load/saved_file.h"
#include "load/speedscope.h"
#include "render/frames.h"
#include "render/profile_view.h"
#include "render/speedscope.h"
#include "render_fixture.h"

namespace stprof {
namespace {

Profile read_ok(const std::string& text) {
  Result<Profile> profile = read_speedscope(text);
  EXPECT_TRUE(profile.ok()) << (profile.ok() ? "" : profile.error().message);
  return profile.ok() ? *profile : Profile{};
}

std::string error_of(const std::string& text) {
  Result<Profile> profile = read_speedscope(text);
  return profile.ok() ? "(read without error)" : profile.error().message;
}

std::string speedscope(const Profile& profile) {
  std::ostringstream out;
  render_speedscope(profile, {}, out);
  return out.str();
}

TEST(LoadSpeedscope, ReadsOurOwnCpuProfile) {
  std::string text = speedscope(make_view(testing::render_fixture(), {}));
  EXPECT_EQ(detect_saved_format(text), SavedFormat::kSpeedscope);
  Profile profile = read_ok(text);
  EXPECT_EQ(profile.mode, ProfileMode::kCpu);
  EXPECT_EQ(profile.frequency_hz, 0);  // speedscope does not say
  EXPECT_EQ(profile.total_samples(), testing::kFixtureSamples);
  std::map<std::string, uint64_t> per_thread;
  uint64_t truncated = 0;
  for (const Sample& sample : profile.samples) {
    const ThreadInfo& thread = profile.threads[sample.thread];
    per_thread[process_label(profile.processes[thread.process]) + " " + thread_label(thread)] +=
        sample.count;
    if (sample.end == StackEnd::kTruncated) {
      truncated += sample.count;
      EXPECT_EQ(location_label(profile, sample.locations.back()), "parse;split (lib/p.py:20)");
    }
  }
  EXPECT_EQ(per_thread, (std::map<std::string, uint64_t>{
                            {"app server (2000) MainThread (2000)", 12},
                            {"python3.11 (1234) MainThread (1234)", 12},
                            {"python3.11 (1234) worker (1240)", 5}}));
  EXPECT_EQ(truncated, 4u);
}

TEST(LoadSpeedscope, MergedLevelsStayMerged) {
  ViewOptions options;
  options.per_process = false;
  options.per_thread = false;
  Profile profile = read_ok(speedscope(make_view(testing::render_fixture(), options)));
  ASSERT_EQ(profile.threads.size(), 1u);
  EXPECT_EQ(profile.threads[0].tid, 0);
  EXPECT_EQ(profile.processes[0].pid, 0);
  EXPECT_EQ(profile.total_samples(), testing::kFixtureSamples);
}

// Wall mode: weights are nanoseconds of wall time; the file does not split them into on-CPU and
// off-CPU, so each is one time.
TEST(LoadSpeedscope, ReadsOurOwnWallProfileAsTimes) {
  Profile profile = read_ok(speedscope(make_view(testing::wall_fixture(), {})));
  EXPECT_EQ(profile.mode, ProfileMode::kWall);
  EXPECT_EQ(profile.total_value(), testing::kWallNs);
  EXPECT_EQ(profile.total_samples(), 0u);
}

TEST(LoadSpeedscope, AnotherToolsFile) {
  Profile profile = read_ok(R"({"shared":{"frames":[{"name":"main","file":"app.py","line":3,"col":1},
      {"name":"work"}]},"profiles":[{"type":"sampled","name":"Thread 1 \"MainThread\"",
      "unit":"milliseconds","startValue":0,"endValue":3.5,"samples":[[0,1],[0]],"weights":[1.5,2]}]})");
  EXPECT_EQ(profile.mode, ProfileMode::kWall);
  ASSERT_EQ(profile.samples.size(), 2u);
  EXPECT_EQ(profile.samples[0].off_cpu_ns, 1500000u);
  EXPECT_EQ(profile.samples[1].off_cpu_ns, 2000000u);
  EXPECT_EQ(location_label(profile, profile.samples[0].locations[0]), "main (app.py:3)");
  EXPECT_EQ(location_label(profile, profile.samples[0].locations[1]), "work");
  EXPECT_EQ(profile.threads[0].tid, 0);  // a name that is not ours: no levels
}

TEST(LoadSpeedscope, MalformedFilesNameTheByteOrField) {
  std::string message = error_of(R"({"shared": {"frames": [)");
  EXPECT_EQ(message.rfind("byte 23: not JSON (parse error", 0), 0u) << message;
  EXPECT_EQ(error_of("[]"), "not a JSON object (is this a speedscope file?)");
  // Found by fuzz_load_speedscope: nlohmann-json reports a number too large for a double
  // without a position.
  EXPECT_EQ(error_of(R"({"shared":{"frames":[]},"profiles":[3e000499]})"),
            "byte 36: JSON that cannot be read (number overflow parsing '3e000499')");
  EXPECT_EQ(error_of(R"({"profiles":[]})"), "shared.frames: missing (is this a speedscope file?)");
  const std::string frames = R"({"shared":{"frames":[{"name":"a"},{"name":"b"}]},"profiles":)";
  EXPECT_EQ(error_of(frames + R"([{"type":"sampled","unit":"none","samples":[[0],[0,7]],"weights":[1,1]}]})"),
            "profiles[0].samples[1][1]: 7 is not a frame of shared.frames (2 frames)");
  EXPECT_EQ(error_of(frames + R"([{"type":"sampled","unit":"none","samples":[[0]],"weights":[1,2]}]})"),
            "profiles[0]: 1 samples but 2 weights");
  EXPECT_EQ(error_of(frames + R"([{"type":"sampled","unit":"none","samples":[[0]],"weights":[-1]}]})"),
            "profiles[0].weights[0]: not a number >= 0");
  EXPECT_EQ(error_of(frames + R"([{"type":"sampled","unit":"none","samples":[[0]],"weights":[0.5]}]})"),
            "profiles[0].weights[0]: a count that is not whole");
  EXPECT_EQ(error_of(frames + R"([{"type":"evented","unit":"none","events":[]}]})"),
            "profiles[0].type: \"evented\" profiles are not read, only \"sampled\" ones");
  EXPECT_EQ(error_of(frames + R"([{"type":"sampled","unit":"parsecs","samples":[],"weights":[]}]})"),
            "profiles[0].unit: not one of none, bytes, nanoseconds, microseconds, milliseconds, "
            "seconds");
  EXPECT_EQ(error_of(frames + R"([{"type":"sampled","unit":"none","samples":[],"weights":[]},
      {"type":"sampled","unit":"seconds","samples":[],"weights":[]}]})"),
            "profiles[1].unit: a time in one profile and a count in another");
  EXPECT_EQ(error_of(R"({"shared":{"frames":[{"file":"a.py"}]},"profiles":[]})"),
            "shared.frames[0]: not an object with a \"name\" string");
}

}  // namespace
}  // namespace stprof
