#include "render/folded.h"

#include <map>
#include <string>

#include "render/frames.h"

namespace stprof {
namespace {

// ';' separates frames and a trailing " N" is the count: neither may appear inside a frame.
std::string frame_text(std::string text) {
  for (char& c : text) {
    if (c == ';' || c == '\n' || c == '\r') c = ':';
  }
  return text;
}

// The number a line ends with: the samples of a CPU-mode profile; in wall mode the line's
// nanoseconds (summed over its stacks first) rounded to the nearest microsecond.
uint64_t line_value(const Profile& profile, uint64_t value) {
  return profile.mode == ProfileMode::kWall ? (value + 500) / 1000 : value;
}

}  // namespace

void render_folded(const Profile& profile, const FoldedOptions& options, std::ostream& out) {
  std::map<std::string, uint64_t> lines;
  for (const Sample& sample : profile.samples) {
    const ThreadInfo& thread = profile.threads[sample.thread];
    const ProcessInfo& process = profile.processes[thread.process];
    std::string line;
    auto append = [&line](const std::string& frame) {
      if (!line.empty()) line += ';';
      line += frame;
    };
    if (options.process_frame && shows_process(process)) {
      if (shows_container(profile, process)) append(container_label(process));
      append(frame_text(process_label(process)));
    }
    if (options.thread_frame && shows_thread(thread)) append(frame_text(thread_label(thread)));
    if (sample.end != StackEnd::kComplete) append(end_marker(sample.end));
    for (uint32_t location : sample.locations)
      append(frame_text(location_label(profile, location)));
    lines[line] += profile.value(sample);
  }
  for (const auto& [line, value] : lines) {
    if (uint64_t shown = line_value(profile, value); shown > 0) out << line << ' ' << shown << '\n';
  }
}

}  // namespace stprof
