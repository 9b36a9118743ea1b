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
uint64_t line_value(ProfileMode mode, uint64_t value) {
  return mode == ProfileMode::kWall ? (value + 500) / 1000 : value;
}

using DiffLines = std::map<std::string, std::pair<uint64_t, uint64_t>>;  // before, after

// Every stack of the two trees that ends somewhere (self values), by its folded text.
void collect_lines(const DiffNode& node, std::string& stack, DiffLines& lines) {
  for (const DiffNode& child : node.children) {
    size_t parent = stack.size();
    if (!stack.empty()) stack += ';';
    stack += frame_text(child.name);
    if (child.before_self || child.after_self) {
      lines[stack].first += child.before_self;
      lines[stack].second += child.after_self;
    }
    collect_lines(child, stack, lines);
    stack.resize(parent);
  }
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
    if (uint64_t shown = line_value(profile.mode, value); shown > 0) {
      out << line << ' ' << shown << '\n';
    }
  }
}

void render_folded_diff(const ProfileDiff& diff, std::ostream& out) {
  DiffLines lines;
  std::string stack;
  collect_lines(diff.root, stack, lines);
  uint64_t before_all = 0, after_all = 0;
  for (auto& [text, values] : lines) {
    values = {line_value(diff.mode, values.first), line_value(diff.mode, values.second)};
    before_all += values.first;
    after_all += values.second;
  }
  for (const auto& [text, values] : lines) {
    uint64_t before = values.first;
    if (!diff.absolute && before_all > 0) {  // difffolded.pl -n: BEFORE scaled to AFTER's total
      unsigned __int128 scaled = static_cast<unsigned __int128>(before) * after_all + before_all / 2;
      before = static_cast<uint64_t>(scaled / before_all);
    }
    if (before || values.second) out << text << ' ' << before << ' ' << values.second << '\n';
  }
}

}  // namespace stprof
