// The one profile model every renderer reads (shaped like pprof: samples -> locations ->
// functions, strings interned). Built by ProfileBuilder; plain data, no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

namespace stprof {

struct Function {
  uint32_t name = 0;  // string index
  uint32_t file = 0;  // string index
};

struct Location {
  uint32_t function = 0;
  int line = 0;  // 0: unknown
};

struct ProcessInfo {
  int pid = 0;                 // host PID
  int ns_pid = 0;              // PID inside its own PID namespace (== pid outside containers)
  std::string comm;
  std::string python_version;  // "3.11.2"
  std::string container_id;    // 64 hex digits, "" when not in a container
  std::string cgroup;          // cgroup v2 path ("/system.slice/app.service"); "" when unknown
  std::string exe;             // executable path (/proc/PID/exe); "" when unknown
};

struct ThreadInfo {
  uint32_t process = 0;  // index into Profile::processes
  int tid = 0;
  std::string name;
};

enum class StackEnd {
  kComplete,
  kTruncated,  // deeper than the sampler's depth limit: the root side is missing
  kPartial,    // a frame could not be read: the root side is missing
};

// What a profile's values measure (--mode).
enum class ProfileMode {
  kCpu,   // on-CPU samples only: a sample's value is its count of perf samples
  kWall,  // on-CPU samples and measured off-CPU time: a sample's value is nanoseconds
};

// In wall mode an off-CPU sample's leaf location is a frame without a file named
// "[off-CPU: REASON]" (see off_cpu_label); its time is in off_cpu_ns and its count is 0.
struct Sample {
  uint32_t thread = 0;              // index into Profile::threads
  std::vector<uint32_t> locations;  // root first
  StackEnd end = StackEnd::kComplete;
  uint64_t count = 0;       // on-CPU perf samples
  uint64_t off_cpu_ns = 0;  // off-CPU nanoseconds, measured (wall mode only)
};

struct Profile {
  std::vector<std::string> strings;  // strings[0] == ""
  std::vector<Function> functions;
  std::vector<Location> locations;
  std::vector<ProcessInfo> processes;
  std::vector<ThreadInfo> threads;
  std::vector<Sample> samples;
  int frequency_hz = 0;
  // Set by a view (render/profile_view.h): renderers put a "container:ID" frame above each
  // process that runs in a container.
  bool container_frames = false;
  double duration_seconds = 0;
  ProfileMode mode = ProfileMode::kCpu;

  uint64_t total_samples() const;
  // The nanoseconds one on-CPU sample stands for: 10^9 / frequency_hz (0 without a rate).
  uint64_t sample_period_ns() const;
  // On-CPU nanoseconds of a sample: its count times the sample period.
  uint64_t cpu_ns(const Sample& sample) const { return sample.count * sample_period_ns(); }
  // The value renderers show for a sample: its count in CPU mode; in wall mode its on-CPU
  // plus off-CPU nanoseconds.
  uint64_t value(const Sample& sample) const;
  uint64_t total_value() const;
};

// "[off-CPU: REASON]": the leaf frame of an off-CPU sample.
std::string off_cpu_label(const std::string& reason);

class ProfileBuilder {
 public:
  ProfileBuilder();

  // `identity` tells process images apart (a PID is reused, an exec starts a new image).
  uint32_t process(uint64_t identity, const ProcessInfo& info);
  uint32_t thread(uint32_t process, int tid, const std::string& name);
  uint32_t location(const std::string& function, const std::string& file, int line);
  // Adds `count` on-CPU samples and `off_cpu_ns` off-CPU nanoseconds of this stack on this
  // thread (merged with an identical earlier one).
  void add(uint32_t thread, std::vector<uint32_t> root_first, StackEnd end, uint64_t count,
           uint64_t off_cpu_ns = 0);

  Profile& profile() { return profile_; }
  const Profile& profile() const { return profile_; }

 private:
  uint32_t string(const std::string& text);

  Profile profile_;
  std::unordered_map<std::string, uint32_t> strings_;
  std::map<std::pair<uint32_t, uint32_t>, uint32_t> functions_;
  std::map<std::pair<uint32_t, int>, uint32_t> locations_;
  std::map<uint64_t, uint32_t> processes_;
  std::map<std::pair<uint32_t, int>, uint32_t> threads_;
  std::map<std::tuple<uint32_t, std::vector<uint32_t>, StackEnd>, size_t> samples_;
};

}  // namespace stprof
