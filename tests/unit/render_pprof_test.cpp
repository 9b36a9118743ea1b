// Tests for render/pprof: the gzipped file decodes (zlib + the generated profile.proto
// classes) into the message of golden file pprof_default.txt (protobuf text format); totals,
// values and labels are checked against the profile. (The e2e test reads a real one with
// `go tool pprof`.)

#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <map>
#include <set>

#include "render/pprof.h"
#include "render/profile.pb.h"
#include "render/profile_view.h"
#include "render_fixture.h"

namespace stprof {
namespace {

namespace pb = perftools::profiles;
using testing::expect_golden;
using testing::kFixtureSamples;
using testing::render_fixture;

std::string gunzip(const std::string& data) {
  z_stream stream{};
  EXPECT_EQ(inflateInit2(&stream, 15 + 16), Z_OK);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buffer[4096];
  int status = Z_OK;
  while (status == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof(buffer);
    status = inflate(&stream, Z_NO_FLUSH);
    out.append(buffer, sizeof(buffer) - stream.avail_out);
  }
  EXPECT_EQ(status, Z_STREAM_END);
  inflateEnd(&stream);
  return out;
}

pb::Profile decode(const Profile& profile) {
  pb::Profile message;
  Result<std::string> file = render_pprof(profile);
  EXPECT_TRUE(file.ok());
  EXPECT_TRUE(message.ParseFromString(gunzip(file.ok() ? *file : "")));
  return message;
}

// The message as protobuf text format, for golden files.
std::string text_of(const pb::Profile& message) {
  std::string text;
  google::protobuf::TextFormat::Printer printer;
  printer.SetUseUtf8StringEscaping(true);  // names as text, not octal escapes
  printer.PrintToString(message, &text);
  return text;
}

// "type/unit" of a sample or period type.
std::string type_name(const pb::Profile& message, const pb::ValueType& type) {
  return message.string_table(static_cast<int>(type.type())) + "/" +
         message.string_table(static_cast<int>(type.unit()));
}

const pb::Function& function_of(const pb::Profile& message, uint64_t location_id) {
  const pb::Location& location = message.location(static_cast<int>(location_id - 1));
  return message.function(static_cast<int>(location.line(0).function_id() - 1));
}

TEST(RenderPprof, DecodesToTheGoldenMessage) {
  expect_golden("pprof_default.txt", text_of(decode(make_view(render_fixture(), {}))));
}

TEST(RenderPprof, TotalsValuesAndLabels) {
  Profile profile = make_view(render_fixture(), {});
  pb::Profile message = decode(profile);
  const auto& s = message.string_table();
  ASSERT_EQ(s[0], "");
  ASSERT_EQ(message.sample_type_size(), 2);
  EXPECT_EQ(type_name(message, message.sample_type(0)), "samples/count");
  EXPECT_EQ(type_name(message, message.sample_type(1)), "cpu/nanoseconds");
  EXPECT_EQ(type_name(message, message.period_type()), "cpu/nanoseconds");
  EXPECT_EQ(message.period(), 10000000);  // 100 Hz
  EXPECT_EQ(message.duration_nanos(), 2500000000);
  int64_t total = 0;
  std::map<std::string, int64_t> by_comm;
  for (const pb::Sample& sample : message.sample()) {
    ASSERT_EQ(sample.value_size(), 2);
    total += sample.value(0);
    EXPECT_EQ(sample.value(1), sample.value(0) * message.period());
    std::map<std::string, const pb::Label*> labels;
    for (const pb::Label& label : sample.label()) labels[s[label.key()]] = &label;
    ASSERT_EQ(labels.size(), 4u);
    EXPECT_TRUE(labels["pid"]->num() == 1234 || labels["pid"]->num() == 2000);
    EXPECT_GT(labels["tid"]->num(), 0);
    EXPECT_FALSE(s[labels["thread_name"]->str()].empty());
    by_comm[s[labels["comm"]->str()]] += sample.value(0);
    for (uint64_t id : sample.location_id()) {
      ASSERT_GE(id, 1u);
      ASSERT_LE(id, static_cast<uint64_t>(message.location_size()));
      const pb::Location& location = message.location(static_cast<int>(id - 1));
      EXPECT_EQ(location.id(), id);
      ASSERT_EQ(location.line_size(), 1);
      EXPECT_EQ(message.function(static_cast<int>(location.line(0).function_id() - 1)).id(),
                location.line(0).function_id());
    }
  }
  EXPECT_EQ(total, static_cast<int64_t>(kFixtureSamples));
  EXPECT_EQ(by_comm["python3.11"], 17);
  EXPECT_EQ(by_comm["app server"], 12);
}

TEST(RenderPprof, LeafFirstAndMarkersAtTheRootEnd) {
  pb::Profile message = decode(make_view(render_fixture(), {}));
  const auto& s = message.string_table();
  auto name_of = [&](uint64_t location_id) { return s[function_of(message, location_id).name()]; };
  bool saw_truncated = false;
  for (const pb::Sample& sample : message.sample()) {
    if (name_of(sample.location_id(0)) == "parse;split") {
      saw_truncated = true;
      EXPECT_EQ(name_of(sample.location_id(sample.location_id_size() - 1)), "[truncated]");
    }
  }
  EXPECT_TRUE(saw_truncated);
}

TEST(RenderPprof, MergedLevelsHaveNoLabels) {
  ViewOptions options;
  options.per_process = false;
  options.per_thread = false;
  pb::Profile message = decode(make_view(render_fixture(), options));
  for (const pb::Sample& sample : message.sample()) EXPECT_EQ(sample.label_size(), 0);
}

TEST(RenderPprof, WallModeGoldenMessage) {
  expect_golden("pprof_wall.txt", text_of(decode(make_view(testing::wall_fixture(), {}))));
}

TEST(RenderPprof, WallModeTypesAndPeriod) {
  pb::Profile message = decode(make_view(testing::wall_fixture(), {}));
  ASSERT_EQ(message.sample_type_size(), 2);
  EXPECT_EQ(type_name(message, message.sample_type(0)), "wall/nanoseconds");
  EXPECT_EQ(type_name(message, message.sample_type(1)), "cpu/nanoseconds");
  EXPECT_EQ(type_name(message, message.period_type()), "wall/nanoseconds");
  EXPECT_EQ(message.period(), 10000000);  // 100 Hz
  EXPECT_EQ(message.string_table(static_cast<int>(message.default_sample_type())), "wall");
  EXPECT_EQ(message.duration_nanos(), 2000000000);
}

// Every sample's (wall, cpu) values, keyed by thread and leaf-first function names, against the
// fixture's numbers (render_fixture.h): on-CPU samples are 10 ms each and their wall value is
// their cpu value; off-CPU samples have their measured nanoseconds and no cpu value.
TEST(RenderPprof, WallModeValues) {
  pb::Profile message = decode(make_view(testing::wall_fixture(), {}));
  const auto& s = message.string_table();
  std::map<std::string, std::pair<int64_t, int64_t>> values;
  for (const pb::Sample& sample : message.sample()) {
    ASSERT_EQ(sample.value_size(), 2);
    std::string key;
    for (const pb::Label& label : sample.label()) {
      if (s[label.key()] == "tid") key = std::to_string(label.num());
    }
    for (uint64_t id : sample.location_id()) key += " " + s[function_of(message, id).name()];
    values[key] = {sample.value(0), sample.value(1)};
  }
  std::map<std::string, std::pair<int64_t, int64_t>> expected = {
      {"1234 handle serve <module>", {30000000, 30000000}},
      {"1234 serve <module>", {10000000, 10000000}},
      {"1234 [off-CPU: read] recv serve <module>", {1200000400, 0}},
      {"1234 [off-CPU: runqueue] handle serve <module>", {2500500, 0}},
      {"1234 [off-CPU: runqueue] work", {499, 0}},
      {"1240 work", {20000000, 20000000}},
      {"1240 [off-CPU: GIL] work", {350000000, 0}},
      {"1240 [off-CPU: runqueue] work", {499, 0}},
  };
  EXPECT_EQ(values, expected);
  int64_t wall = 0, cpu = 0;
  for (const auto& [key, value] : values) wall += value.first, cpu += value.second;
  EXPECT_EQ(wall, static_cast<int64_t>(testing::kWallNs));
  EXPECT_EQ(cpu, static_cast<int64_t>(testing::kWallOnCpuNs));
}

TEST(RenderPprof, OffCpuLeafIsAFunctionWithoutAFile) {
  pb::Profile message = decode(make_view(testing::wall_fixture(), {}));
  const auto& s = message.string_table();
  std::set<std::string> leaves;
  for (const pb::Sample& sample : message.sample()) {
    const pb::Function& leaf = function_of(message, sample.location_id(0));
    if (s[leaf.name()].rfind("[off-CPU: ", 0) != 0) continue;
    leaves.insert(s[leaf.name()]);
    EXPECT_EQ(s[leaf.filename()], "");
    EXPECT_EQ(message.location(static_cast<int>(sample.location_id(0) - 1)).line(0).line(), 0);
  }
  EXPECT_EQ(leaves, (std::set<std::string>{"[off-CPU: GIL]", "[off-CPU: read]",
                                           "[off-CPU: runqueue]"}));
}

TEST(Gzip, RoundTrips) {
  std::string data(100000, 'x');
  for (size_t i = 0; i < data.size(); i += 7) data[i] = static_cast<char>(i);
  for (const std::string& input : {data, std::string()}) {
    Result<std::string> compressed = gzip(input);
    ASSERT_TRUE(compressed.ok()) << compressed.error().message;
    EXPECT_EQ(gunzip(*compressed), input);
  }
}

}  // namespace
}  // namespace stprof
