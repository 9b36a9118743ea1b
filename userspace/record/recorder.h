// One recording: find targets, sample, follow process events, drain periodically, symbolize,
// collate.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "collate/profile.h"
#include "record/process_source.h"
#include "record/process_table.h"
#include "record/sample_feed.h"
#include "record/sampler_control.h"
#include "record/target_filter.h"
#include "symbolize/kernel_symbols.h"
#include "util/lru_map.h"

namespace stprof {

struct RecordOptions {
  TargetFilter filter;
  double duration_seconds = 0;  // 0: until stopped
  int frequency_hz = 99;
  ProfileMode mode = ProfileMode::kCpu;  // kWall: the sampler records off-CPU time too
  bool code_free_uprobe = true;  // see ProcessTable::walker_for
  bool gil_only = false;         // --gil (the sampler filters; free-threaded processes are noted)
  std::chrono::milliseconds drain_interval{1000};
  // The agent: drains fall just after whole seconds of the wall clock (drain_interval is then
  // 1 s), so that an interval cut on whole seconds holds whole drains however long the run and
  // however the steady clock drifts from the wall clock.
  bool drain_on_wall_seconds = false;
  // Safety net behind the process events, and how soon a program that dlopens libpython late
  // is found.
  std::chrono::milliseconds rescan_interval{2000};
  // --kernel: names the kernel frames the sampler puts on top of the Python stacks.
  const KernelSymbols* kernel_symbols = nullptr;
};

struct RecordSummary {
  Counters counters{};             // sampler's per-reason counters
  uint64_t unreadable_stacks = 0;  // samples whose stack was gone from the stacks map
  uint64_t unknown_frames = 0;     // frames whose code object could not be read back
  uint64_t unstarted_samples = 0;  // samples whose only frame had not started (CPython hides it)
  size_t python_processes = 0;
  bool targets_failed = false;     // some requested PIDs could not be profiled
  bool targets_exited = false;     // the run ended because every requested process exited
  // --comm/--exe/--container/--cgroup were given and selected no process for the whole run.
  bool selectors_matched_nothing = false;
  int cpus = 0;
  // CPU time the perf events covered (every CPU's, or the targets' threads'), once stopped.
  double sampled_cpu_seconds = 0;
  std::vector<double> exec_to_registration_ms;  // processes found through an exec event
  ProfileMode mode = ProfileMode::kCpu;
  // Wall mode: the off-CPU nanoseconds in the profile, per reason ("read", "GIL", "runqueue";
  // the names of the [off-CPU: ...] frames).
  std::map<std::string, uint64_t> off_cpu_ns;
  // Entries in the bounded caches when the run ended: stacks copied from the kernel, sampled
  // frames symbolized, code objects read (of the processes still alive).
  struct Caches {
    size_t stacks = 0;
    size_t frames = 0;
    size_t code_objects = 0;
  } caches;
};

class Recorder {
 public:
  using Warn = std::function<void(const std::string&)>;
  // `sampler` is started (its sampling scope chosen), `feed` reads what it records; `warn`
  // receives one line per process that cannot be profiled.
  Recorder(const RecordOptions& options, SamplerControl& sampler, SampleFeed& feed,
           ProcessSource& system, Warn warn);

  // Registers the first targets. With only PIDs: an error when none of them can be profiled
  // (it carries their reasons), else a warning per PID left out.
  Result<void> discover();

  // Samples until the duration passes, `stop` becomes true, or every requested process exited;
  // then stops the sampler and drains what is left, so every counted sample is in the profile.
  // `tick` runs after every drain (status output).
  void run(const std::atomic<bool>& stop, const std::function<void()>& tick);

  const Profile& profile() const { return builder_.profile(); }
  // Hands over what was collated since the last call (or the start) and starts an empty
  // profile, so that a run of weeks holds one interval's processes, stacks and names at a time.
  // Call it between drains (from `tick`, or once run() returned): every count drained so far is
  // in the profile handed over, none is in the next. Frames are symbolized again from the
  // processes' code caches; images that ended are forgotten. Its duration is left 0.
  Profile take_profile();
  RecordSummary summary() const;
  // Python processes profiled so far (the summary's python_processes, without its syscalls).
  size_t python_processes() const;

 private:
  void poll_events(int timeout_ms);
  void on_event(const stprof_event& event);
  // Reads the code objects of a stack just interned while they are alive (short-lived code,
  // such as a module body being imported, is often freed before the next drain).
  void symbolize_stack(int pid, uint64_t stack_id);
  // Collates the counts in the maps into the profile. `last`: after the sampler stopped, when
  // no count can wait for a later drain. `execd_pid`: a process that exec'd, whose old image's
  // counts these are.
  void drain(bool last = false, int execd_pid = 0);
  // When the drain after one made at `previous` is due.
  std::chrono::steady_clock::time_point next_drain_after(std::chrono::steady_clock::time_point previous) const;
  void warn_all(const std::vector<std::string>& warnings);
  // The profile location of a sampled frame; nullopt for a frame CPython itself hides.
  std::optional<uint32_t> location_of(TrackedProcess& process, const stprof_frame& frame);
  // The [off-CPU: REASON] location of an off-CPU kind.
  uint32_t off_cpu_location(__u32 kind);
  struct KernelFrame {
    uint32_t location;          // "[k] NAME"
    bool recording_machinery;   // see KernelFunction
  };
  const KernelFrame& kernel_frame(uint64_t address);

  RecordOptions options_;
  SamplerControl& sampler_;
  SampleFeed& feed_;
  ProcessSource& system_;
  Warn warn_;
  ProcessTable processes_;
  ProfileBuilder builder_;
  // (process serial, code, instr, fingerprint) -> location: each distinct frame is symbolized
  // once while it is among the kFrameCapacity most recently sampled.
  LruMap<std::tuple<uint64_t, uint64_t, int32_t, uint32_t>, std::optional<uint32_t>> locations_;
  static constexpr size_t kFrameCapacity = 65536;
  std::map<__u32, uint32_t> off_cpu_locations_;  // off-CPU kind -> its location
  // Kernel address -> its location: bounded by the kernel's call sites, shared by all processes.
  std::unordered_map<uint64_t, KernelFrame> kernel_frames_;
  std::map<std::string, uint64_t> off_cpu_ns_;     // see RecordSummary::off_cpu_ns
  // Counts of processes the kernel registered at exec whose exec event was not handled yet when
  // they were drained (a drain from inside the event handler, or one that came first after the
  // profiler was stopped or starved): collated at the next drain, once the event is.
  std::vector<RawSample> early_counts_;
  uint64_t unreadable_stacks_ = 0;  // see RecordSummary
  uint64_t unknown_frames_ = 0;
  uint64_t unstarted_samples_ = 0;
  bool targets_exited_ = false;
  uint64_t events_lost_at_rescan_ = 0;  // EVENTS_LOST when the last rescan ran
};

}  // namespace stprof
