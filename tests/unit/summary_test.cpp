// Tests for cli/summary: the end-of-run summary and its --json form, in CPU and wall mode.

#include "cli/summary.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "render_fixture.h"

namespace stprof {
namespace {

std::string summary_text(const Profile& profile, const RecordSummary& summary) {
  std::ostringstream out;
  print_summary(totals_of(profile), summary, false, out);
  return out.str();
}

nlohmann::json summary_json(const Profile& profile, const RecordSummary& summary) {
  std::ostringstream out;
  print_summary_json(totals_of(profile), summary, {}, 0, out);
  return nlohmann::json::parse(out.str());
}

// The wall fixture's off-CPU nanoseconds per reason (render_fixture.h), as the recorder sums them.
RecordSummary wall_summary() {
  RecordSummary summary;
  summary.mode = ProfileMode::kWall;
  summary.off_cpu_ns = {{"read", 1200000400}, {"runqueue", 2500500 + 499 + 499},
                        {"GIL", 350000000}};
  return summary;
}

TEST(Summary, CpuModeHasNoWallTimeLine) {
  EXPECT_EQ(summary_text(testing::render_fixture(), {}),
            "stprof-bpf: 29 Python samples from 0 process(es), 3 thread(s) in 2.5 s; 0 CPU ticks "
            "sampled (0.0% of 100 Hz over 0.0 s of CPU time sampled)\n");
}

// On-CPU: 6 samples x 10 ms = 60 ms; in all 60000000 + 1552501898 ns; shares worked out by hand.
TEST(Summary, WallModeSplitsTheWallTime) {
  std::string text = summary_text(testing::wall_fixture(), wall_summary());
  EXPECT_NE(text.find("\nstprof-bpf: wall time 1.61 s of 2 threads: on-CPU 60.0 ms (3.7%), "
                      "off-CPU: read 1.20 s (74.4%), GIL 350 ms (21.7%), runqueue 2.50 ms "
                      "(0.2%)\n"),
            std::string::npos)
      << text;
}

TEST(Summary, WallModeReasonsLargestFirst) {
  ProfileBuilder builder;
  uint32_t process = testing::add_process(builder, 1, "p");
  for (int tid : {1, 2, 3}) builder.thread(process, tid, "t");
  builder.add(0, {builder.location("f", "m.py", 1)}, StackEnd::kComplete, 210);
  builder.profile().frequency_hz = 100;  // 210 samples: 2.1 s on-CPU
  RecordSummary summary;
  summary.mode = ProfileMode::kWall;
  summary.off_cpu_ns = {{"GIL", 3000000000}, {"read", 6000000000}, {"runqueue", 900000000}};
  EXPECT_NE(summary_text(builder.profile(), summary)
                .find("stprof-bpf: wall time 12.0 s of 3 threads: on-CPU 2.10 s (17.5%), "
                      "off-CPU: read 6.00 s (50.0%), GIL 3.00 s (25.0%), runqueue 900 ms (7.5%)\n"),
            std::string::npos);
}

TEST(SummaryJson, ModeAndWallTime) {
  nlohmann::json cpu = summary_json(testing::render_fixture(), {});
  EXPECT_EQ(cpu["mode"], "cpu");
  EXPECT_FALSE(cpu.contains("on_cpu_ns"));
  EXPECT_FALSE(cpu.contains("off_cpu_ns"));
  nlohmann::json wall = summary_json(testing::wall_fixture(), wall_summary());
  EXPECT_EQ(wall["mode"], "wall");
  EXPECT_EQ(wall["on_cpu_ns"], testing::kWallOnCpuNs);
  EXPECT_EQ(wall["off_cpu_ns"],
            (nlohmann::json{{"GIL", 350000000}, {"read", 1200000400}, {"runqueue", 2501498}}));
}

}  // namespace
}  // namespace stprof
