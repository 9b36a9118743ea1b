// Tests for load/pprof (and load/gunzip, load/saved_file): our own pprof files read back (CPU
// and wall mode, gzipped or not), a hand-made pprof of another tool (inlined frames, a location
// without lines, another sample type), and damaged files with the byte or item each error names.

#include <gtest/gtest.h>

#include <map>

#include "load/gunzip.h"
#include "load/pprof.h"
#include "load/saved_file.h"
#include "render/frames.h"
#include "render/pprof.h"
#include "render/profile.pb.h"
#include "render/profile_view.h"
#include "render_fixture.h"

namespace stprof {
namespace {

namespace pb = perftools::profiles;

Profile read_ok(const std::string& bytes) {
  Result<Profile> profile = parse_saved_profile(bytes);
  EXPECT_TRUE(profile.ok()) << (profile.ok() ? "" : profile.error().message);
  return profile.ok() ? *profile : Profile{};
}

std::string error_of(const std::string& bytes) {
  Result<Profile> profile = parse_saved_profile(bytes);
  return profile.ok() ? "(read without error)" : profile.error().message;
}

std::string pprof_file(const Profile& profile) {
  Result<std::string> file = render_pprof(profile);
  EXPECT_TRUE(file.ok());
  return file.ok() ? *file : "";
}

// Root-first labels of a sample's frames, its stack end marker first.
std::string stack_text(const Profile& profile, const Sample& sample) {
  std::string text = end_marker(sample.end);
  for (uint32_t location : sample.locations) (text += ";") += location_label(profile, location);
  return text;
}

TEST(LoadPprof, ReadsOurOwnCpuProfile) {
  Profile profile = read_ok(pprof_file(make_view(testing::render_fixture(), {})));
  EXPECT_EQ(profile.mode, ProfileMode::kCpu);
  EXPECT_EQ(profile.frequency_hz, 100);      // period 10 ms
  EXPECT_EQ(profile.duration_seconds, 2.5);  // duration_nanos
  EXPECT_EQ(profile.total_samples(), testing::kFixtureSamples);
  std::map<std::string, uint64_t> per_thread;
  std::map<std::string, uint64_t> stacks;
  for (const Sample& sample : profile.samples) {
    const ThreadInfo& thread = profile.threads[sample.thread];
    const ProcessInfo& process = profile.processes[thread.process];
    per_thread[process_label(process) + " " + thread_label(thread)] += sample.count;
    stacks[stack_text(profile, sample)] += sample.count;
  }
  EXPECT_EQ(per_thread, (std::map<std::string, uint64_t>{
                            {"app server (2000) MainThread (2000)", 12},
                            {"python3.11 (1234) MainThread (1234)", 12},
                            {"python3.11 (1234) worker (1240)", 5}}));
  // The markers come back as stack ends, ';' in a name survives (pprof keeps names whole).
  EXPECT_EQ(stacks["[truncated];run (app.py:8);parse;split (lib/p.py:20)"], 4u);
  EXPECT_EQ(stacks["[partial];work (app.py:4)"], 1u);
  EXPECT_EQ(stacks[";計算 (データ.py:3);helper (app.py)"], 2u);
}

TEST(LoadPprof, ReadsOurOwnWallProfileExactly) {
  Profile wall = make_view(testing::wall_fixture(), {});
  Profile profile = read_ok(pprof_file(wall));
  EXPECT_EQ(profile.mode, ProfileMode::kWall);
  EXPECT_EQ(profile.frequency_hz, 100);
  EXPECT_EQ(profile.total_value(), testing::kWallNs);
  EXPECT_EQ(profile.total_samples(), 6u);  // the on-CPU samples, from the cpu value
  uint64_t off_cpu = 0;
  for (const Sample& sample : profile.samples) off_cpu += sample.off_cpu_ns;
  EXPECT_EQ(off_cpu, testing::kWallOffCpuNs);
}

TEST(LoadPprof, UncompressedMessageToo) {
  std::string message = pprof_message(make_view(testing::render_fixture(), {})).SerializeAsString();
  EXPECT_EQ(detect_saved_format(message), SavedFormat::kPprof);
  EXPECT_EQ(read_ok(message).total_samples(), testing::kFixtureSamples);
}

// A heap profile as Go writes one: two value types, the default one chosen; inlined frames (a
// location with two lines, the caller last); a location without lines; no labels.
TEST(LoadPprof, AnotherToolsProfile) {
  pb::Profile message;
  for (const char* text : {"", "alloc_objects", "count", "alloc_space", "bytes", "main",
                           "main.go", "inner", "outer"}) {
    message.add_string_table(text);
  }
  auto type = message.add_sample_type();
  type->set_type(1), type->set_unit(2);
  type = message.add_sample_type();
  type->set_type(3), type->set_unit(4);
  message.set_default_sample_type(3);
  for (auto [id, name] : {std::pair{10, 5}, {20, 7}, {30, 8}}) {  // main, inner, outer
    pb::Function* function = message.add_function();
    function->set_id(id);
    function->set_name(name);
    function->set_filename(6);
  }
  pb::Location* main_location = message.add_location();
  main_location->set_id(1);
  main_location->add_line()->set_function_id(10);
  main_location->mutable_line(0)->set_line(5);
  pb::Location* inlined = message.add_location();
  inlined->set_id(2);
  inlined->add_line()->set_function_id(20);  // inner, inlined into
  inlined->mutable_line(0)->set_line(30);
  inlined->add_line()->set_function_id(30);  // outer
  inlined->mutable_line(1)->set_line(40);
  pb::Location* bare = message.add_location();
  bare->set_id(3);
  bare->set_address(0x4a3f);
  pb::Sample* sample = message.add_sample();
  for (uint64_t id : {3, 2, 1}) sample->add_location_id(id);  // leaf first
  sample->add_value(2);
  sample->add_value(4096);

  Profile profile = read_ok(message.SerializeAsString());
  ASSERT_EQ(profile.samples.size(), 1u);
  EXPECT_EQ(profile.samples[0].count, 4096u);  // alloc_space, the default type
  EXPECT_EQ(stack_text(profile, profile.samples[0]),
            ";main (main.go:5);outer (main.go:40);inner (main.go:30);0x4a3f");
  EXPECT_EQ(profile.processes[profile.threads[profile.samples[0].thread].process].pid, 0);
  EXPECT_EQ(profile.threads[profile.samples[0].thread].tid, 0);
  EXPECT_EQ(profile.frequency_hz, 0);
}

pb::Profile small_profile() {
  pb::Profile message;
  for (const char* text : {"", "samples", "count", "f"}) message.add_string_table(text);
  auto type = message.add_sample_type();
  type->set_type(1), type->set_unit(2);
  pb::Function* function = message.add_function();
  function->set_id(1);
  function->set_name(3);
  pb::Location* location = message.add_location();
  location->set_id(1);
  location->add_line()->set_function_id(1);
  pb::Sample* sample = message.add_sample();
  sample->add_location_id(1);
  sample->add_value(5);
  return message;
}

TEST(LoadPprof, ItemsThatMakeNoSenseAreNamed) {
  EXPECT_EQ(read_ok(small_profile().SerializeAsString()).total_samples(), 5u);
  pb::Profile message = small_profile();
  message.mutable_sample(0)->set_location_id(0, 99);
  EXPECT_EQ(error_of(message.SerializeAsString()),
            "pprof: sample 0: location 99 is not in the profile");
  message = small_profile();
  message.mutable_function(0)->set_name(50);
  EXPECT_EQ(error_of(message.SerializeAsString()),
            "pprof: function 0: string 50 is not in the table of 4");
  message = small_profile();
  message.mutable_sample(0)->set_value(0, -5);
  EXPECT_EQ(error_of(message.SerializeAsString()),
            "pprof: sample 0: a negative value (-5): a difference of profiles, not a profile");
  message = small_profile();
  message.mutable_sample(0)->add_value(1);
  EXPECT_EQ(error_of(message.SerializeAsString()), "pprof: sample 0: 2 values for 1 sample types");
  message = small_profile();
  message.mutable_location(0)->mutable_line(0)->set_function_id(7);
  EXPECT_EQ(error_of(message.SerializeAsString()),
            "pprof: location 0: function 7 is not in the profile");
  message = small_profile();
  message.add_function()->set_id(1);
  EXPECT_EQ(error_of(message.SerializeAsString()), "pprof: function 1: id 1 used twice");
}

// The string table is the last field written (field 6; the larger fields come before it), so a
// message cut inside its last string fails at that string's first byte.
TEST(LoadPprof, TruncatedOrDamagedMessagesNameTheByte) {
  pb::Profile message = small_profile();
  std::string whole = message.SerializeAsString();
  message.add_string_table("0123456789");
  std::string longer = message.SerializeAsString();
  ASSERT_EQ(longer.substr(0, whole.size()), whole);
  EXPECT_EQ(error_of(longer.substr(0, whole.size() + 5)),
            "pprof: byte " + std::to_string(whole.size()) +
                ": field 6 holds 10 bytes but 3 follow (a truncated file?)");
  message = small_profile();
  message.add_string_table("\xff");
  EXPECT_EQ(error_of(message.SerializeAsString()),
            "pprof: byte " + std::to_string(whole.size()) + ": a string (not UTF-8) of 1 bytes does not decode");
  EXPECT_EQ(error_of(std::string("\x0f\x01\x02", 3)),
            "pprof: byte 0: field 1: wire type 7, which profile.proto does not use (is this a pprof file?)");
}

TEST(LoadPprof, TruncatedOrDamagedGzipNamesTheByte) {
  std::string file = pprof_file(make_view(testing::render_fixture(), {}));
  EXPECT_EQ(error_of(file.substr(0, 100)),
            "gzip: byte 100: the compressed data ends early (a truncated file?)");
  std::string damaged = file;
  for (size_t i = 20; i < 40; i++) damaged[i] = static_cast<char>(0xff);
  std::string message = error_of(damaged);
  EXPECT_EQ(message.rfind("gzip: byte ", 0), 0u) << message;
  EXPECT_NE(message.find("damaged compressed data"), std::string::npos) << message;
  EXPECT_EQ(gunzip(file, 10).ok(), false);
  EXPECT_EQ(gunzip(file, 10).error().message, "gzip: decompresses to more than 10 bytes");
}

TEST(LoadPprof, GzipRoundTrips) {
  std::string data(100000, 'x');
  for (size_t i = 0; i < data.size(); i += 7) data[i] = static_cast<char>(i);
  for (const std::string& input : {data, std::string()}) {
    Result<std::string> compressed = gzip(input);
    ASSERT_TRUE(compressed.ok());
    EXPECT_TRUE(is_gzip(*compressed));
    Result<std::string> back = gunzip(*compressed, 1 << 20);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(*back, input);
    // Two members one after the other, as `cat a.gz b.gz` makes.
    Result<std::string> twice = gunzip(*compressed + *compressed, 1 << 20);
    ASSERT_TRUE(twice.ok()) << twice.error().message;
    EXPECT_EQ(*twice, input + input);
  }
}

}  // namespace
}  // namespace stprof
