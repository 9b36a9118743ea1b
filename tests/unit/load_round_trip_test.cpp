// Writer -> reader -> writer on the renderers' fixture (render_fixture.h): the fixture's default
// view written as folded, pprof and speedscope, each read back (load/) and rendered in every
// format, gives what rendering the fixture directly gives, once what the intermediate format
// cannot carry is dropped from the fixture too (folded: the rate, the duration and ';' inside
// names; speedscope: the rate and the duration; pprof: nothing the fixture has). Folded, svg,
// tree and top are compared byte for byte; pprof and speedscope, whose item order follows the
// model's, as the multisets of their stacks with values, labels and profile names. Also merging.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "load/merge.h"
#include "load/saved_file.h"
#include "render/format.h"
#include "render/pprof.h"
#include "render/profile.pb.h"
#include "render/profile_view.h"
#include "render_fixture.h"

namespace stprof {
namespace {

namespace pb = perftools::profiles;

std::string rendered(const Profile& profile, Format format) {
  Result<std::string> content = render(profile, format, {});
  EXPECT_TRUE(content.ok());
  return content.ok() ? *content : "";
}

Profile read_back(const std::string& bytes) {
  Result<Profile> profile = parse_saved_profile(bytes);
  EXPECT_TRUE(profile.ok()) << (profile.ok() ? "" : profile.error().message);
  return profile.ok() ? make_view(*profile, {}) : Profile{};
}

// pprof: sample types, period, duration, and each sample as "labels | leaf-first frames = values".
std::multiset<std::string> pprof_content(const Profile& profile) {
  pb::Profile message = pprof_message(profile);
  const auto& s = message.string_table();
  std::multiset<std::string> content;
  std::string header = "period " + std::to_string(message.period()) + " duration " +
                       std::to_string(message.duration_nanos()) + " types";
  for (const pb::ValueType& type : message.sample_type()) header += " " + s[type.type()] + "/" + s[type.unit()];
  content.insert(header);
  for (const pb::Sample& sample : message.sample()) {
    std::vector<std::string> labels;
    for (const pb::Label& label : sample.label()) {
      labels.push_back(s[label.key()] + "=" + (label.str() ? s[label.str()] : std::to_string(label.num())));
    }
    std::sort(labels.begin(), labels.end());
    std::string text;
    for (const std::string& label : labels) text += label + " ";
    text += "|";
    for (uint64_t id : sample.location_id()) {
      const pb::Location& location = message.location(static_cast<int>(id - 1));
      for (const pb::Line& line : location.line()) {
        const pb::Function& function = message.function(static_cast<int>(line.function_id() - 1));
        text += " " + s[function.name()] + "@" + s[function.filename()] + ":" + std::to_string(line.line());
      }
    }
    text += " =";
    for (int64_t value : sample.value()) (text += " ") += std::to_string(value);
    content.insert(text);
  }
  return content;
}

// speedscope: each profile's name, unit and total, and its stacks (frame objects) with weights.
std::multiset<std::string> speedscope_content(const Profile& profile) {
  nlohmann::json json = nlohmann::json::parse(rendered(profile, Format::kSpeedscope));
  const auto& frames = json["shared"]["frames"];
  std::multiset<std::string> content;
  for (const auto& p : json["profiles"]) {
    std::string name = p["name"].get<std::string>() + " " + p["unit"].get<std::string>();
    content.insert(name + " end " + p["endValue"].dump());
    for (size_t i = 0; i < p["samples"].size(); i++) {
      std::string stack = name + ":";
      for (const auto& index : p["samples"][i]) (stack += " ") += frames[index.get<size_t>()].dump();
      content.insert(stack + " = " + p["weights"][i].dump());
    }
  }
  return content;
}

void expect_same_outputs(const Profile& read, const Profile& expected, const std::string& via) {
  for (Format format : {Format::kFolded, Format::kSvg, Format::kTree, Format::kTop}) {
    EXPECT_EQ(rendered(read, format), rendered(expected, format))
        << format_name(format) << " via " << via;
  }
  EXPECT_EQ(pprof_content(read), pprof_content(expected)) << "pprof via " << via;
  EXPECT_EQ(speedscope_content(read), speedscope_content(expected)) << "speedscope via " << via;
}

Profile without_rate(Profile profile) {
  profile.frequency_hz = 0;
  profile.duration_seconds = 0;
  return profile;
}

TEST(RoundTrip, ThroughPprofEveryOutputIsTheSame) {
  Profile view = make_view(testing::render_fixture(), {});
  expect_same_outputs(read_back(rendered(view, Format::kPprof)), view, "pprof");
}

TEST(RoundTrip, ThroughSpeedscopeEveryOutputIsTheSameButTheRate) {
  Profile view = make_view(testing::render_fixture(), {});
  expect_same_outputs(read_back(rendered(view, Format::kSpeedscope)), without_rate(view),
                      "speedscope");
}

TEST(RoundTrip, ThroughFoldedEveryOutputIsTheSameButTheRateAndSemicolons) {
  Profile view = make_view(testing::render_fixture(), {});
  Profile expected = without_rate(view);
  for (std::string& text : expected.strings) std::replace(text.begin(), text.end(), ';', ':');
  expect_same_outputs(read_back(rendered(view, Format::kFolded)), expected, "folded");
}

TEST(RoundTrip, GroupingFlagsApplyToWhatIsRead) {
  ViewOptions merged;
  merged.per_process = false;
  merged.per_thread = false;
  merged.line_numbers = false;
  Profile view = make_view(testing::render_fixture(), {});
  Result<Profile> read = parse_saved_profile(rendered(view, Format::kPprof));
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(rendered(make_view(*read, merged), Format::kFolded),
            rendered(make_view(view, merged), Format::kFolded));
}

// Wall mode: pprof carries the on-CPU/off-CPU split, so every output is the same; speedscope
// carries wall time only, so the outputs that show wall time alone are.
TEST(RoundTrip, WallModeThroughPprofAndSpeedscope) {
  Profile view = make_view(testing::wall_fixture(), {});
  expect_same_outputs(read_back(rendered(view, Format::kPprof)), view, "pprof");
  Profile read = read_back(rendered(view, Format::kSpeedscope));
  for (Format format : {Format::kFolded, Format::kTree, Format::kTop}) {
    EXPECT_EQ(rendered(read, format), rendered(view, format)) << format_name(format);
  }
}

TEST(Merge, SameProcessesAddUpAndModesMustAgree) {
  Profile view = make_view(testing::render_fixture(), {});
  Result<Profile> pprof = parse_saved_profile(rendered(view, Format::kPprof));
  Result<Profile> folded = parse_saved_profile(rendered(view, Format::kFolded));
  ASSERT_TRUE(pprof.ok() && folded.ok());
  Result<Profile> merged = merge_profiles({{"a.pb.gz", *pprof}, {"b.folded", *pprof}});
  ASSERT_TRUE(merged.ok()) << merged.error().message;
  EXPECT_EQ(merged->total_samples(), 2 * testing::kFixtureSamples);
  EXPECT_EQ(merged->processes.size(), 2u);
  EXPECT_EQ(merged->threads.size(), 3u);
  EXPECT_EQ(merged->samples.size(), pprof->samples.size());  // identical stacks merged
  EXPECT_EQ(merged->frequency_hz, 100);
  EXPECT_EQ(merged->duration_seconds, 5.0);
  // A folded file has no rate: it takes the other's.
  Result<Profile> with_folded = merge_profiles({{"b.folded", *folded}, {"a.pb.gz", *pprof}});
  ASSERT_TRUE(with_folded.ok());
  EXPECT_EQ(with_folded->frequency_hz, 100);

  Profile faster = *pprof;
  faster.frequency_hz = 499;
  Result<Profile> rates = merge_profiles({{"a.pb.gz", *pprof}, {"c.pb.gz", faster}});
  ASSERT_FALSE(rates.ok());
  EXPECT_EQ(rates.error().message, "cannot merge a.pb.gz (100 Hz) with c.pb.gz (499 Hz): their "
                                   "samples stand for different times");
  Result<Profile> wall = parse_saved_profile(rendered(make_view(testing::wall_fixture(), {}), Format::kPprof));
  ASSERT_TRUE(wall.ok());
  Result<Profile> modes = merge_profiles({{"a.pb.gz", *pprof}, {"w.pb.gz", *wall}});
  ASSERT_FALSE(modes.ok());
  EXPECT_EQ(modes.error().message, "cannot merge a.pb.gz (cpu mode) with w.pb.gz (wall mode): "
                                   "their values measure different things");
}

}  // namespace
}  // namespace stprof
