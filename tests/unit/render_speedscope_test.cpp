// Tests for render/speedscope: golden files speedscope_*.txt; the JSON parses and its weights
// add up per profile and in all to the profile's total. (The e2e test validates a real one
// against speedscope's own schema and loads it in speedscope.)

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "render/profile_view.h"
#include "render/speedscope.h"
#include "render_fixture.h"

namespace stprof {
namespace {

using testing::expect_golden;
using testing::kFixtureSamples;
using testing::render_fixture;

std::string speedscope(const Profile& profile) {
  std::ostringstream out;
  render_speedscope(profile, {}, out);
  return out.str();
}

TEST(RenderSpeedscope, DefaultViewMatchesGolden) {
  expect_golden("speedscope_default.txt", speedscope(make_view(render_fixture(), {})));
}

TEST(RenderSpeedscope, MergedNoThreadMatchesGolden) {
  ViewOptions options;
  options.per_process = false;
  options.per_thread = false;
  expect_golden("speedscope_merged_no_thread.txt",
                speedscope(make_view(render_fixture(), options)));
}

TEST(RenderSpeedscope, OneSampledProfilePerThreadAndWeightsAddUp) {
  nlohmann::json json = nlohmann::json::parse(speedscope(make_view(render_fixture(), {})));
  EXPECT_EQ(json["$schema"], "https://www.speedscope.app/file-format-schema.json");
  const auto& frames = json["shared"]["frames"];
  const auto& profiles = json["profiles"];
  ASSERT_EQ(profiles.size(), 3u);
  uint64_t all = 0, heaviest = 0;
  size_t heaviest_index = 0;
  for (size_t p = 0; p < profiles.size(); p++) {
    const auto& profile = profiles[p];
    EXPECT_EQ(profile["type"], "sampled");
    EXPECT_EQ(profile["unit"], "none");
    ASSERT_EQ(profile["samples"].size(), profile["weights"].size());
    uint64_t sum = 0;
    for (const auto& weight : profile["weights"]) sum += weight.get<uint64_t>();
    for (const auto& stack : profile["samples"]) {
      for (const auto& frame : stack) EXPECT_LT(frame.get<size_t>(), frames.size());
    }
    EXPECT_EQ(profile["endValue"].get<uint64_t>(), sum);
    if (sum > heaviest) heaviest = sum, heaviest_index = p;
    all += sum;
  }
  EXPECT_EQ(all, kFixtureSamples);
  EXPECT_EQ(json["activeProfileIndex"].get<size_t>(), heaviest_index);
  for (const auto& frame : frames) EXPECT_TRUE(frame.contains("name"));
}

TEST(RenderSpeedscope, WallModeMatchesGolden) {
  expect_golden("speedscope_wall.txt", speedscope(make_view(testing::wall_fixture(), {})));
}

// Wall mode: weights in nanoseconds, per thread as the fixture adds them up (render_fixture.h):
// MainThread 30 ms + 10 ms on-CPU, 1200000400 + 2500500 + 499 ns off-CPU; worker 20 ms
// on-CPU, 350000000 + 499 ns off-CPU.
TEST(RenderSpeedscope, WallModeWeightsAreNanoseconds) {
  nlohmann::json json = nlohmann::json::parse(speedscope(make_view(testing::wall_fixture(), {})));
  const auto& profiles = json["profiles"];
  ASSERT_EQ(profiles.size(), 2u);
  std::map<std::string, uint64_t> per_thread;
  for (const auto& profile : profiles) {
    EXPECT_EQ(profile["unit"], "nanoseconds");
    uint64_t sum = 0;
    for (const auto& weight : profile["weights"]) sum += weight.get<uint64_t>();
    EXPECT_EQ(profile["endValue"].get<uint64_t>(), sum);
    per_thread[profile["name"].get<std::string>()] = sum;
  }
  EXPECT_EQ(per_thread, (std::map<std::string, uint64_t>{
                            {"python3.11 (1234): MainThread (1234)", 1242501399},
                            {"python3.11 (1234): worker (1240)", 370000499}}));
  EXPECT_EQ(1242501399u + 370000499u, testing::kWallNs);
  EXPECT_EQ(json["activeProfileIndex"], 0);
  size_t off_cpu_frames = 0;
  for (const auto& frame : json["shared"]["frames"]) {
    if (frame["name"].get<std::string>().rfind("[off-CPU: ", 0) != 0) continue;
    off_cpu_frames++;
    EXPECT_FALSE(frame.contains("file")) << frame;
    EXPECT_FALSE(frame.contains("line")) << frame;
  }
  EXPECT_EQ(off_cpu_frames, 3u);
}

TEST(RenderSpeedscope, InvalidUtf8IsReplaced) {
  ProfileBuilder builder;
  ProcessInfo info;
  info.pid = 1;
  info.comm = "p";
  uint32_t thread = builder.thread(builder.process(1, info), 1, "t");
  builder.add(thread, {builder.location("f\xff\"", "x.py", 1)}, StackEnd::kComplete, 2);
  nlohmann::json json = nlohmann::json::parse(speedscope(builder.profile()));
  EXPECT_EQ(json["shared"]["frames"][0]["name"], "f\xEF\xBF\xBD\"");
}

}  // namespace
}  // namespace stprof
