// One recording: discover targets, sample, drain periodically, symbolize, collate.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "bpf/sampler.h"
#include "collate/profile.h"
#include "drain/drainer.h"
#include "record/process_table.h"

namespace stprof {

struct RecordOptions {
  std::vector<int> pids;   // empty: every Python process
  double duration_seconds = 0;  // 0: until stopped
  int frequency_hz = 99;
  std::chrono::milliseconds drain_interval{1000};
};

struct RecordSummary {
  Counters counters{};           // sampler's per-reason counters
  uint64_t unreadable_stacks = 0;  // samples whose stack was gone from the stacks map
  uint64_t unknown_frames = 0;     // frames whose code object could not be read back
  uint64_t unstarted_samples = 0;  // samples whose only frame had not started (CPython hides it)
  size_t python_processes = 0;
  bool targets_failed = false;     // some requested PIDs could not be profiled
  bool targets_exited = false;     // the run ended because every requested process exited
  int cpus = 0;
};

class Recorder {
 public:
  using Warn = std::function<void(const std::string&)>;
  // `warn` receives one line per process that cannot be profiled.
  Recorder(const RecordOptions& options, Sampler& sampler, Warn warn);

  // Registers the first targets. With PIDs: an error when none of them can be profiled (it
  // carries their reasons), else a warning per PID left out.
  Result<void> discover();

  // Samples until the duration passes, `stop` becomes true, or every requested process exited;
  // then stops the sampler and drains what is left, so every counted sample is in the profile. `tick` runs after every drain (status output).
  void run(const std::atomic<bool>& stop, const std::function<void()>& tick);

  const Profile& profile() const { return builder_.profile(); }
  RecordSummary summary() const;

 private:
  void drain();
  // The profile location of a sampled frame; nullopt for a frame CPython itself hides.
  std::optional<uint32_t> location_of(TrackedProcess& process, const stprof_frame& frame);

  RecordOptions options_;
  Sampler& sampler_;
  Warn warn_;
  Drainer drainer_;
  ProcessTable processes_;
  ProfileBuilder builder_;
  // (pid, start time, code, instr, fingerprint) -> location: each distinct frame is symbolized once.
  std::map<std::tuple<int, uint64_t, uint64_t, int32_t, uint32_t>, std::optional<uint32_t>>
      locations_;
  uint64_t unknown_frames_ = 0;
  uint64_t unstarted_samples_ = 0;
  bool targets_exited_ = false;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace stprof
