#include "render/folded.h"

#include <map>
#include <string>

namespace stprof {
namespace {

// ';' separates frames and a trailing " N" is the count: neither may appear inside a frame.
std::string frame_text(std::string text) {
  for (char& c : text) {
    if (c == ';' || c == '\n' || c == '\r') c = ':';
  }
  return text;
}

std::string location_text(const Profile& profile, uint32_t location_index) {
  const Location& location = profile.locations[location_index];
  const Function& function = profile.functions[location.function];
  std::string text = profile.strings[function.name] + " (" + profile.strings[function.file];
  if (location.line > 0) text += ":" + std::to_string(location.line);
  return frame_text(text + ")");
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
    if (options.process_frame) append(frame_text(process.comm + " (" + std::to_string(process.pid) + ")"));
    if (options.thread_frame) append(frame_text(thread.name + " (" + std::to_string(thread.tid) + ")"));
    if (sample.end == StackEnd::kTruncated) append("[truncated]");
    if (sample.end == StackEnd::kPartial) append("[partial]");
    for (uint32_t location : sample.locations) append(location_text(profile, location));
    lines[line] += sample.count;
  }
  for (const auto& [line, count] : lines) out << line << ' ' << count << '\n';
}

}  // namespace stprof
