#include "render/speedscope.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <vector>

#include "render/frames.h"

namespace stprof {
namespace {

std::string json_text(const std::string& text) {
  return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

struct Group {
  std::string name;
  // root-first frame names -> (frame indices, value); ordered like folded lines
  std::map<std::vector<std::string>, std::pair<std::vector<size_t>, uint64_t>> stacks;
  uint64_t total = 0;
};

std::string group_name(const ProcessInfo& process, const ThreadInfo& thread) {
  if (shows_process(process) && shows_thread(thread))
    return process_label(process) + ": " + thread_label(thread);
  if (shows_process(process)) return process_label(process);
  if (shows_thread(thread)) return thread_label(thread);
  return "all processes";
}

}  // namespace

void render_speedscope(const Profile& profile, const SpeedscopeOptions& options,
                       std::ostream& out) {
  // Threads in (pid, tid) order, one group each.
  std::vector<uint32_t> order(profile.threads.size());
  for (uint32_t i = 0; i < order.size(); i++) order[i] = i;
  auto key = [&](uint32_t t) {
    return std::make_pair(profile.processes[profile.threads[t].process].pid,
                          profile.threads[t].tid);
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return key(a) < key(b); });
  std::vector<size_t> group_of(profile.threads.size());
  std::vector<Group> groups(order.size());
  for (size_t g = 0; g < order.size(); g++) {
    const ThreadInfo& thread = profile.threads[order[g]];
    groups[g].name = group_name(profile.processes[thread.process], thread);
    group_of[order[g]] = g;
  }

  // Shared frames: locations and end markers, numbered in order of first use.
  std::vector<std::string> frames;  // JSON objects
  std::map<std::string, size_t> marker_frames;
  std::vector<size_t> location_frames(profile.locations.size(), SIZE_MAX);
  auto location_frame = [&](uint32_t location) {
    if (location_frames[location] == SIZE_MAX) {
      const Location& loc = profile.locations[location];
      const Function& function = profile.functions[loc.function];
      const std::string& file = profile.strings[function.file];
      std::string frame = "{\"name\":" + json_text(profile.strings[function.name]);
      if (!file.empty()) frame += ",\"file\":" + json_text(file);  // off-CPU leaves have none
      if (loc.line > 0) frame += ",\"line\":" + std::to_string(loc.line);
      location_frames[location] = frames.size();
      frames.push_back(frame + "}");
    }
    return location_frames[location];
  };
  auto marker_frame = [&](const std::string& marker) {
    auto [it, inserted] = marker_frames.emplace(marker, frames.size());
    if (inserted) frames.push_back("{\"name\":" + json_text(marker) + "}");
    return it->second;
  };
  std::vector<std::string> labels(profile.locations.size());
  for (size_t i = 0; i < labels.size(); i++)
    labels[i] = location_label(profile, static_cast<uint32_t>(i));

  for (const Sample& sample : profile.samples) {
    std::vector<std::string> names;
    std::vector<size_t> indices;
    if (sample.end != StackEnd::kComplete) {
      names.push_back(end_marker(sample.end));
      indices.push_back(marker_frame(end_marker(sample.end)));
    }
    for (uint32_t location : sample.locations) {
      names.push_back(labels[location]);
      indices.push_back(location_frame(location));
    }
    Group& group = groups[group_of[sample.thread]];
    auto& stack = group.stacks[names];
    stack.first = std::move(indices);
    stack.second += profile.value(sample);
    group.total += profile.value(sample);
  }
  std::erase_if(groups, [](const Group& group) { return group.total == 0; });
  size_t active = 0;
  for (size_t g = 0; g < groups.size(); g++) {
    if (groups[g].total > groups[active].total) active = g;
  }

  out << "{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\",\n"
      << "\"name\":" << json_text(options.name) << ",\n"
      << "\"exporter\":" << json_text(options.exporter) << ",\n"
      << "\"activeProfileIndex\":" << active << ",\n"
      << "\"shared\":{\"frames\":[";
  for (size_t f = 0; f < frames.size(); f++) out << (f ? ",\n" : "\n") << frames[f];
  // Weights: samples in CPU mode; nanoseconds of wall time in wall mode.
  const char* unit = profile.mode == ProfileMode::kWall ? "nanoseconds" : "none";
  out << "]},\n\"profiles\":[";
  for (size_t g = 0; g < groups.size(); g++) {
    const Group& group = groups[g];
    out << (g ? ",\n" : "\n") << "{\"type\":\"sampled\",\"name\":" << json_text(group.name)
        << ",\"unit\":\"" << unit << "\",\"startValue\":0,\"endValue\":" << group.total
        << ",\n\"samples\":[";
    std::string weights;
    bool first = true;
    for (const auto& [names, stack] : group.stacks) {
      out << (first ? "\n[" : ",\n[");
      for (size_t i = 0; i < stack.first.size(); i++) out << (i ? "," : "") << stack.first[i];
      out << "]";
      if (!first) weights += ',';
      weights += std::to_string(stack.second);
      first = false;
    }
    out << "],\n\"weights\":[" << weights << "]}";
  }
  out << "]}\n";
}

}  // namespace stprof
