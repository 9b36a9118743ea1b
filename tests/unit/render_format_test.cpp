// Tests for render/format: formats by name and by output file extension; every format renders
// the empty profile and both fixtures (CPU and wall mode).

#include <gtest/gtest.h>

#include "render/format.h"
#include "render_fixture.h"

namespace stprof {
namespace {

TEST(Format, ByExtension) {
  EXPECT_EQ(format_for_path("flame.svg"), Format::kSvg);
  EXPECT_EQ(format_for_path("FLAME.SVG"), Format::kSvg);
  EXPECT_EQ(format_for_path("p.json"), Format::kSpeedscope);
  EXPECT_EQ(format_for_path("p.speedscope.json"), Format::kSpeedscope);
  EXPECT_EQ(format_for_path("cpu.pb.gz"), Format::kPprof);
  EXPECT_EQ(format_for_path("cpu.pb"), Format::kPprof);
  EXPECT_EQ(format_for_path("cpu.pprof"), Format::kPprof);
  EXPECT_EQ(format_for_path("calls.tree"), Format::kTree);
  EXPECT_EQ(format_for_path("hot.top"), Format::kTop);
  EXPECT_EQ(format_for_path("p.folded"), Format::kFolded);
  EXPECT_EQ(format_for_path("p.txt"), Format::kFolded);
  EXPECT_EQ(format_for_path("p.gz"), Format::kFolded);
  EXPECT_EQ(format_for_path("-"), Format::kFolded);
  EXPECT_EQ(format_for_path("svg"), Format::kFolded);
}

TEST(Format, ByName) {
  for (const std::string& name : format_names()) {
    ASSERT_TRUE(parse_format(name)) << name;
    EXPECT_EQ(format_name(*parse_format(name)), name);
  }
  EXPECT_EQ(format_names().size(), 6u);
  EXPECT_FALSE(parse_format("flamegraph"));
  EXPECT_FALSE(parse_format(""));
  EXPECT_TRUE(is_binary(Format::kPprof));
  EXPECT_FALSE(is_binary(Format::kSvg));
}

TEST(Format, EveryFormatRenders) {
  for (const std::string& name : format_names()) {
    Format format = *parse_format(name);
    for (const Profile& profile : {testing::render_fixture(), testing::wall_fixture()}) {
      Result<std::string> fixture = render(profile, format, {});
      ASSERT_TRUE(fixture.ok()) << name << ": " << fixture.error().message;
      EXPECT_FALSE(fixture->empty()) << name;
    }
    Result<std::string> empty = render(Profile{}, format, {});
    ASSERT_TRUE(empty.ok()) << name << ": " << empty.error().message;
    if (format == Format::kFolded) {
      EXPECT_EQ(*empty, "");
    }
  }
}

}  // namespace
}  // namespace stprof
