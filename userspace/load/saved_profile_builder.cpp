#include "load/saved_profile_builder.h"

namespace stprof {

StackLevels read_stack_levels(std::span<const std::string_view> frames) {
  StackLevels levels;
  size_t at = 0;
  std::optional<std::string> container;
  if (frames.size() >= 2 && parse_process_label(frames[1])) {
    container = parse_container_label(frames[0]);
    if (container) at = 1;
  }
  if (at < frames.size()) levels.process = parse_process_label(frames[at]);
  if (!levels.process) return levels;
  levels.process->container_id = container.value_or("");
  at++;
  if (at < frames.size()) levels.thread = parse_thread_label(frames[at]);
  if (levels.thread) at++;
  levels.frames = at;
  return levels;
}

uint32_t SavedProfileBuilder::thread(const StackLevels& levels) {
  ProcessInfo process;
  if (levels.process) {
    process = *levels.process;
  } else {
    process.comm = "all processes";  // pid 0: no process level (as make_view merges them)
  }
  auto key = std::make_tuple(process.pid, process.ns_pid, process.comm, process.container_id);
  auto [it, inserted] = process_ids_.emplace(key, process_ids_.size());
  uint32_t index = builder_.process(it->second, process);
  if (levels.thread) return builder_.thread(index, levels.thread->tid, levels.thread->name);
  return builder_.thread(index, 0, "all threads");
}

Result<void> SavedProfileBuilder::add(uint32_t thread, std::vector<uint32_t> root_first,
                                      StackEnd end, uint64_t count, uint64_t off_cpu_ns) {
  uint64_t room = kMaxTotal - total_;
  uint64_t cpu = count * period_;
  if ((period_ && count > room / period_) || (!period_ && count > room) ||
      off_cpu_ns > room - (period_ ? cpu : count)) {
    return make_error("the values add up to more than " + std::to_string(kMaxTotal));
  }
  if (root_first.size() > kMaxFrames - frames_) {
    return make_error("more than " + std::to_string(kMaxFrames) + " frames in all stacks");
  }
  total_ += (period_ ? cpu : count) + off_cpu_ns;
  frames_ += root_first.size();
  builder_.add(thread, std::move(root_first), end, count, off_cpu_ns);
  return {};
}

Profile SavedProfileBuilder::finish(ProfileMode mode, int frequency_hz, double duration_seconds) {
  Profile profile = std::move(builder_.profile());
  profile.mode = mode;
  profile.frequency_hz = frequency_hz;
  profile.duration_seconds = duration_seconds;
  return profile;
}

}  // namespace stprof
