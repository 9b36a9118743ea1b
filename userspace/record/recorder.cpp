#include "record/recorder.h"

#include <bpf/libbpf.h>

#include <algorithm>
#include <cstdio>
#include <thread>

#include "discover/proc_list.h"

namespace stprof {
namespace {

std::string hex(uint64_t value) {
  char text[32];
  std::snprintf(text, sizeof(text), "0x%llx", static_cast<unsigned long long>(value));
  return text;
}

}  // namespace

Recorder::Recorder(const RecordOptions& options, Sampler& sampler, Warn warn)
    : options_(options),
      sampler_(sampler),
      warn_(std::move(warn)),
      drainer_(sampler.maps()),
      processes_(sampler, options.pids) {
  builder_.profile().frequency_hz = options.frequency_hz;
}

Result<void> Recorder::discover() {
  std::vector<std::string> warnings = processes_.rescan();
  if (!processes_.all_python() && processes_.profiled_count() == 0) {
    std::string reasons;
    for (const std::string& warning : warnings) reasons += (reasons.empty() ? "" : "; ") + warning;
    return make_error("nothing to profile: " + reasons);
  }
  for (const std::string& warning : warnings) warn_(warning);
  return {};
}

void Recorder::run(const std::atomic<bool>& stop, const std::function<void()>& tick) {
  using Clock = std::chrono::steady_clock;
  started_ = Clock::now();
  auto deadline = options_.duration_seconds > 0
                      ? started_ + std::chrono::duration_cast<Clock::duration>(
                                       std::chrono::duration<double>(options_.duration_seconds))
                      : Clock::time_point::max();
  auto next_drain = started_ + options_.drain_interval;
  constexpr auto kPoll = std::chrono::milliseconds(20);
  while (!stop.load() && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::min<Clock::duration>(kPoll, deadline - Clock::now()));
    if (Clock::now() < next_drain) continue;
    next_drain += options_.drain_interval;
    drain();
    for (const std::string& warning : processes_.rescan()) warn_(warning);
    tick();
    if (!processes_.all_python() && processes_.alive_count() == 0) {
      targets_exited_ = true;
      break;
    }
  }
  sampler_.stop();
  drain();
  builder_.profile().duration_seconds =
      std::chrono::duration<double>(Clock::now() - started_).count();
}

std::optional<uint32_t> Recorder::location_of(TrackedProcess& process, const stprof_frame& frame) {
  auto key = std::make_tuple(process.info.pid, process.info.start_time,
                             static_cast<uint64_t>(frame.code), frame.instr,
                             static_cast<uint32_t>(frame.fingerprint));
  if (auto it = locations_.find(key); it != locations_.end()) return it->second;
  std::optional<uint32_t> location;
  if (std::optional<FrameSymbol> symbol = process.symbolizer->symbolize(frame)) {
    if (!symbol->incomplete) location = builder_.location(symbol->function, symbol->file, symbol->line);
  } else {
    unknown_frames_++;
    location = builder_.location("<unknown code " + hex(frame.code) + ">", "?", 0);
  }
  locations_.emplace(key, location);
  return location;
}

void Recorder::drain() {
  for (const RawSample& sample : drainer_.drain_counts()) {
    TrackedProcess* process = processes_.find(static_cast<int>(sample.pid));
    const RawStack* stack = drainer_.stack(sample.stack_id);
    if (!process || !stack) {
      drainer_.count_lost(sample.count);
      continue;
    }
    auto [name, inserted] = process->thread_names.emplace(static_cast<int>(sample.tid), "");
    if (inserted) {
      name->second = thread_name(process->info.pid, static_cast<int>(sample.tid));
      if (name->second.empty()) name->second = process->info.comm;
    }
    uint32_t process_index = builder_.process(process->info.pid, process->info.start_time,
                                              process->info.comm, process->info.version.to_string());
    uint32_t thread = builder_.thread(process_index, static_cast<int>(sample.tid), name->second);
    std::vector<uint32_t> root_first;
    root_first.reserve(stack->frames.size());
    for (auto frame = stack->frames.rbegin(); frame != stack->frames.rend(); ++frame) {
      if (std::optional<uint32_t> location = location_of(*process, *frame)) {
        root_first.push_back(*location);
      }
    }
    if (root_first.empty()) {  // only a frame CPython hides: nothing had started yet
      unstarted_samples_ += sample.count;
      continue;
    }
    StackEnd end = (stack->flags & STACK_FLAG_TRUNCATED) ? StackEnd::kTruncated
                   : (stack->flags & STACK_FLAG_PARTIAL) ? StackEnd::kPartial
                                                         : StackEnd::kComplete;
    builder_.add(thread, std::move(root_first), end, sample.count);
  }
  drainer_.trim_kernel_stacks();
}

RecordSummary Recorder::summary() const {
  RecordSummary summary;
  summary.counters = drainer_.read_counters();
  summary.unreadable_stacks = drainer_.lost_samples();
  summary.unknown_frames = unknown_frames_;
  summary.unstarted_samples = unstarted_samples_;
  summary.python_processes = processes_.profiled_count();
  summary.targets_failed = processes_.some_targets_failed();
  summary.targets_exited = targets_exited_;
  summary.cpus = libbpf_num_possible_cpus();
  return summary;
}

}  // namespace stprof
