#include "record/recorder.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <utility>

#include "record/off_cpu_reason.h"

namespace stprof {
namespace {

std::string hex(uint64_t value) {
  char text[32];
  std::snprintf(text, sizeof(text), "0x%llx", static_cast<unsigned long long>(value));
  return text;
}

}  // namespace

Recorder::Recorder(const RecordOptions& options, SamplerControl& sampler, SampleFeed& feed,
                   ProcessSource& system, Warn warn)
    : options_(options),
      sampler_(sampler),
      feed_(feed),
      system_(system),
      warn_(std::move(warn)),
      processes_(sampler, system, options.filter, options.code_free_uprobe, options.gil_only) {
  builder_.profile().frequency_hz = options.frequency_hz;
  builder_.profile().mode = options.mode;
}

void Recorder::warn_all(const std::vector<std::string>& warnings) {
  for (const std::string& warning : warnings) warn_(warning);
}

Result<void> Recorder::discover() {
  std::vector<std::string> warnings = processes_.start();
  if (!processes_.watches_new_processes() && processes_.profiled_count() == 0) {
    std::string reasons;
    for (const std::string& warning : warnings) reasons += (reasons.empty() ? "" : "; ") + warning;
    return make_error("nothing to profile: " + reasons);
  }
  warn_all(warnings);
  return {};
}

void Recorder::symbolize_stack(int pid, uint64_t stack_id) {
  TrackedProcess* process = processes_.find(pid);
  const RawStack* stack = feed_.stack_interned(stack_id);
  if (!process || process->exited || !stack) return;
  for (const stprof_frame& frame : stack->frames) location_of(*process, frame);
}

void Recorder::poll_events(int timeout_ms) {
  feed_.poll_events(timeout_ms, [this](const stprof_event& event) { on_event(event); });
}

void Recorder::on_event(const stprof_event& event) {
  if (event.kind == STPROF_EVENT_NEW_STACK) {
    symbolize_stack(static_cast<int>(event.pid), event.stack_id);
    return;
  }
  // Counts still in the maps for a process that execs belong to its old image: collate them
  // with the old image's symbols before the new image is registered under the same PID.
  if (event.kind == STPROF_EVENT_EXEC && (event.flags & STPROF_EVENT_SAMPLED)) {
    TrackedProcess* process = processes_.find(static_cast<int>(event.pid));
    if (process && !process->exited) drain(false, process->info.pid);
  }
  warn_all(processes_.handle(event));
}

void Recorder::run(const std::atomic<bool>& stop, const std::function<void()>& tick) {
  using Clock = std::chrono::steady_clock;
  Clock::time_point started = Clock::now();
  Clock::time_point deadline =
      options_.duration_seconds > 0
          ? started + std::chrono::duration_cast<Clock::duration>(
                          std::chrono::duration<double>(options_.duration_seconds))
          : Clock::time_point::max();
  Clock::time_point next_drain = next_drain_after(started);
  Clock::time_point next_rescan = started + options_.rescan_interval;
  while (!stop.load()) {
    Clock::time_point now = Clock::now();
    if (now >= deadline) break;
    Clock::time_point wake = std::min({deadline, next_drain, processes_.next_retry().value_or(next_drain)});
    // Rounded up: a wait cut to 0 ms would spin until the wake time.
    auto wait = std::chrono::ceil<std::chrono::milliseconds>(wake - now).count();
    poll_events(static_cast<int>(std::clamp<int64_t>(wait, 0, 1000)));  // a signal ends it early
    warn_all(processes_.retry_pending());

    now = Clock::now();
    if (now < next_drain) continue;
    next_drain = next_drain_after(next_drain);
    drain();
    if (now >= next_rescan) {
      next_rescan += options_.rescan_interval;
      uint64_t events_lost = feed_.read_counters()[STPROF_EVENTS_LOST];
      warn_all(processes_.rescan(events_lost != events_lost_at_rescan_));
      events_lost_at_rescan_ = events_lost;
    }
    tick();
    if (!processes_.watches_new_processes() && processes_.alive_count() == 0) {
      targets_exited_ = true;
      break;
    }
  }
  if (Result<void> stopped = sampler_.stop(); !stopped) warn_(stopped.error().message);
  poll_events(0);  // the processes of the last counts
  drain(true);
  builder_.profile().duration_seconds = std::chrono::duration<double>(Clock::now() - started).count();
}

std::chrono::steady_clock::time_point Recorder::next_drain_after(
    std::chrono::steady_clock::time_point previous) const {
  if (!options_.drain_on_wall_seconds) return previous + options_.drain_interval;
  // Some milliseconds past the second, so that the wall clock reads the new second when the
  // drain's tick looks at it.
  constexpr auto kPastTheSecond = std::chrono::milliseconds(5);
  auto wall = std::chrono::system_clock::now().time_since_epoch();
  auto to_next_second = std::chrono::seconds(1) - wall % std::chrono::seconds(1) + kPastTheSecond;
  auto steady_now = std::chrono::steady_clock::now();
  auto next = steady_now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(to_next_second);
  // At least half a second after the last one: never twice in one second.
  return std::max(next, previous + std::chrono::milliseconds(500));
}

std::optional<uint32_t> Recorder::location_of(TrackedProcess& process, const stprof_frame& frame) {
  if (frame.instr == STPROF_FRAME_KERNEL) return kernel_frame(frame.code).location;
  auto key = std::make_tuple(process.serial, static_cast<uint64_t>(frame.code), frame.instr,
                             static_cast<uint32_t>(frame.fingerprint));
  if (const std::optional<uint32_t>* known = locations_.find(key)) return *known;
  std::optional<uint32_t> location;
  std::optional<FrameSymbol> symbol;
  if (process.symbolizer) symbol = process.symbolizer->symbolize(frame);
  if (symbol) {
    if (!symbol->incomplete) location = builder_.location(symbol->function, symbol->file, symbol->line);
  } else {
    unknown_frames_++;
    location = builder_.location("<unknown code " + hex(frame.code) + ">", "?", 0);
  }
  locations_.evict_to(kFrameCapacity - 1);
  locations_.insert(key, location);
  return location;
}

void Recorder::drain(bool last, int execd_pid) {
  if (Result<void> counted = sampler_.count_open_off_cpu(); !counted) warn_(counted.error().message);
  std::vector<ProcessTable::Retired> retired = processes_.take_retired();  // counted in full now
  std::vector<RawSample> samples = std::exchange(early_counts_, {});
  size_t retried = samples.size();
  for (RawSample& sample : feed_.drain_counts()) samples.push_back(sample);
  for (size_t i = 0; i < samples.size(); i++) {
    const RawSample& sample = samples[i];
    TrackedProcess* process = processes_.find(static_cast<int>(sample.pid));
    const RawStack* stack = feed_.stack(sample.stack_id);
    if (!process && stack && i >= retried && !last && sampler_.is_registered(sample.pid)) {
      early_counts_.push_back(sample);
      continue;
    }
    if (!process || !stack) {
      unreadable_stacks_ += sample.count;
      continue;
    }
    auto [name, inserted] = process->thread_names.emplace(static_cast<int>(sample.tid), "");
    // A thread first seen now is named from /proc, unless its image ended: then the thread is
    // gone, or has the name of the program exec'd since (or the PID is another process's).
    if (inserted) {
      bool ended = process->exited || process->info.pid == execd_pid;
      if (!ended) name->second = system_.thread_name(process->info.pid, static_cast<int>(sample.tid));
      if (name->second.empty()) name->second = process->info.comm;
    }
    const PythonProcess& info = process->info;
    uint32_t process_index = builder_.process(
        process->serial, {info.pid, process->facts.ns_pid ? process->facts.ns_pid : info.pid,
                          info.comm, info.version.to_string(), process->facts.container_id,
                          process->facts.cgroup, process->exe});
    uint32_t thread = builder_.thread(process_index, static_cast<int>(sample.tid), name->second);
    // Leaf first: the kernel frames (--kernel), then the Python frames.
    auto python = std::find_if(stack->frames.begin(), stack->frames.end(),
                               [](const stprof_frame& frame) { return frame.instr != STPROF_FRAME_KERNEL; });
    std::vector<uint32_t> root_first;
    root_first.reserve(stack->frames.size() + 1);
    for (auto frame = stack->frames.rbegin(); frame.base() != python; ++frame) {
      if (std::optional<uint32_t> location = location_of(*process, *frame)) {
        root_first.push_back(*location);
      }
    }
    if (root_first.empty()) {  // only a frame CPython hides: nothing had started yet
      unstarted_samples_ += sample.count;
      continue;
    }
    // Off the CPU: the reason, then the kernel's path to where the thread blocked.
    if (sample.kind != STPROF_KIND_CPU) {
      root_first.push_back(off_cpu_location(sample.kind));
      off_cpu_ns_[off_cpu_reason(sample.kind)] += sample.count;
    }
    auto kernel_leaf = std::find_if(stack->frames.begin(), python, [this](const stprof_frame& frame) {
      return !kernel_frame(frame.code).recording_machinery;
    });
    for (auto frame = std::make_reverse_iterator(python); frame != std::make_reverse_iterator(kernel_leaf);
         ++frame) {
      root_first.push_back(kernel_frame(frame->code).location);
    }
    StackEnd end = (stack->flags & STACK_FLAG_TRUNCATED) ? StackEnd::kTruncated
                   : (stack->flags & STACK_FLAG_PARTIAL) ? StackEnd::kPartial
                                                         : StackEnd::kComplete;
    if (sample.kind == STPROF_KIND_CPU) {
      builder_.add(thread, std::move(root_first), end, sample.count);
    } else {
      builder_.add(thread, std::move(root_first), end, 0, sample.count);
    }
  }
  feed_.trim_kernel_stacks();
  for (const ProcessTable::Retired& image : retired) {
    processes_.release(image);
    locations_.erase_range({image.serial, 0, std::numeric_limits<int32_t>::min(), 0},
                           {image.serial + 1, 0, std::numeric_limits<int32_t>::min(), 0});
  }
}

Profile Recorder::take_profile() {
  Profile taken = std::move(builder_.profile());
  builder_ = ProfileBuilder();
  builder_.profile().frequency_hz = options_.frequency_hz;
  builder_.profile().mode = options_.mode;
  taken.duration_seconds = 0;
  // The cached locations are indices into the profile handed over.
  locations_ = {};
  off_cpu_locations_.clear();
  processes_.forget_released();
  return taken;
}

uint32_t Recorder::off_cpu_location(__u32 kind) {
  auto [it, inserted] = off_cpu_locations_.emplace(kind, 0);
  if (inserted) it->second = builder_.location(off_cpu_label(off_cpu_reason(kind)), "", 0);
  return it->second;
}

const Recorder::KernelFrame& Recorder::kernel_frame(uint64_t address) {
  auto [it, inserted] = kernel_frames_.emplace(address, KernelFrame{});
  if (inserted) {
    KernelFunction function = options_.kernel_symbols ? options_.kernel_symbols->function_at(address)
                                                      : KernelFunction{hex(address)};
    std::string label = "[k] ";
    label += function.name;
    it->second = {builder_.location(label, "", 0), function.recording_machinery};
  }
  return it->second;
}

size_t Recorder::python_processes() const { return processes_.profiled_count(); }

RecordSummary Recorder::summary() const {
  RecordSummary summary;
  summary.counters = feed_.read_counters();
  summary.unreadable_stacks = unreadable_stacks_;
  summary.unknown_frames = unknown_frames_;
  summary.unstarted_samples = unstarted_samples_;
  summary.python_processes = python_processes();
  summary.targets_failed = processes_.some_targets_failed();
  summary.targets_exited = targets_exited_;
  summary.selectors_matched_nothing = options_.filter.has_selectors() && !processes_.selectors_matched();
  summary.cpus = sampler_.possible_cpus();
  summary.sampled_cpu_seconds = sampler_.sampled_cpu_seconds();
  summary.exec_to_registration_ms = processes_.exec_to_registration_ms();
  summary.mode = builder_.profile().mode;
  summary.off_cpu_ns = off_cpu_ns_;
  summary.caches = {feed_.held_stacks(), locations_.size(), processes_.cached_code_objects()};
  return summary;
}

}  // namespace stprof
