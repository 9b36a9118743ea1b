// Tests for render/value_text: how text outputs print samples and times.

#include <gtest/gtest.h>

#include "render/value_text.h"

namespace stprof {
namespace {

TEST(DurationText, ThreeSignificantDigitsInTheLargestFittingUnit) {
  EXPECT_EQ(duration_text(0), "0 ns");
  EXPECT_EQ(duration_text(499), "499 ns");
  EXPECT_EQ(duration_text(999), "999 ns");
  EXPECT_EQ(duration_text(1000), "1.00 µs");
  EXPECT_EQ(duration_text(12500), "12.5 µs");
  EXPECT_EQ(duration_text(999400), "999 µs");
  EXPECT_EQ(duration_text(999600), "1.00 ms");  // not "1000 µs"
  EXPECT_EQ(duration_text(2500500), "2.50 ms");
  EXPECT_EQ(duration_text(340000000), "340 ms");
  EXPECT_EQ(duration_text(1250000000), "1.25 s");
  EXPECT_EQ(duration_text(12000000000), "12.0 s");
  EXPECT_EQ(duration_text(1234000000000), "1234 s");
}

TEST(ValueText, CountsInCpuModeTimesInWallMode) {
  EXPECT_EQ(value_text(ProfileMode::kCpu, 7), "7");
  EXPECT_EQ(value_text(ProfileMode::kWall, 70000000), "70.0 ms");
  EXPECT_EQ(amount_text(ProfileMode::kCpu, 0), "0 samples");
  EXPECT_EQ(amount_text(ProfileMode::kCpu, 1), "1 sample");
  EXPECT_EQ(amount_text(ProfileMode::kCpu, 29), "29 samples");
  EXPECT_EQ(amount_text(ProfileMode::kWall, 1612501898), "1.61 s of wall time");
}

}  // namespace
}  // namespace stprof
