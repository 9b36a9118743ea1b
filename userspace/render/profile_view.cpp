#include "render/profile_view.h"

#include <cctype>
#include <string_view>

namespace stprof {
namespace {

// Whether `rest` starts with "X.Y/" or "X.Y" followed by a free-threading 't' ("3.13t/"); returns
// the length of that directory name with its slash, or 0.
size_t python_version_dir(std::string_view rest) {
  size_t i = 0;
  auto digits = [&] {
    size_t start = i;
    while (i < rest.size() && std::isdigit(static_cast<unsigned char>(rest[i]))) i++;
    return i > start;
  };
  if (!digits()) return 0;
  if (i < rest.size() && rest[i] == '.') {
    i++;
    if (!digits()) return 0;
  }
  if (i < rest.size() && rest[i] == 't') i++;
  return i < rest.size() && rest[i] == '/' ? i + 1 : 0;
}

}  // namespace

std::string short_filename(const std::string& path) {
  size_t best = std::string::npos;
  for (std::string_view marker : {"/site-packages/", "/dist-packages/"}) {
    size_t at = path.rfind(marker);
    if (at != std::string::npos && (best == std::string::npos || at + marker.size() > best)) {
      best = at + marker.size();
    }
  }
  if (best != std::string::npos && best < path.size()) return path.substr(best);
  for (std::string_view marker : {"/lib/python", "/lib64/python"}) {
    for (size_t at = path.rfind(marker); at != std::string::npos;
         at = at == 0 ? std::string::npos : path.rfind(marker, at - 1)) {
      size_t start = at + marker.size();
      size_t length = python_version_dir(std::string_view(path).substr(start));
      if (length && start + length < path.size()) return path.substr(start + length);
    }
  }
  return path;
}

Profile make_view(const Profile& profile, const ViewOptions& options) {
  ProfileBuilder builder;
  std::vector<uint32_t> process_map(profile.processes.size());
  ProcessInfo merged;  // pid 0: no process frame
  merged.comm = "all processes";
  for (size_t i = 0; i < profile.processes.size(); i++) {
    // Process identity in the view: its index in the source profile (one per process image).
    process_map[i] = options.per_process ? builder.process(i + 1, profile.processes[i])
                                         : builder.process(0, merged);
  }
  std::vector<uint32_t> thread_map(profile.threads.size());
  for (size_t i = 0; i < profile.threads.size(); i++) {
    const ThreadInfo& thread = profile.threads[i];
    uint32_t process = process_map[thread.process];
    thread_map[i] = options.per_thread ? builder.thread(process, thread.tid, thread.name)
                                       : builder.thread(process, 0, "all threads");
  }
  std::vector<uint32_t> location_map(profile.locations.size());
  for (size_t i = 0; i < profile.locations.size(); i++) {
    const Location& location = profile.locations[i];
    const Function& function = profile.functions[location.function];
    const std::string& file = profile.strings[function.file];
    location_map[i] = builder.location(profile.strings[function.name],
                                       options.full_filenames ? file : short_filename(file),
                                       options.line_numbers ? location.line : 0);
  }
  for (const Sample& sample : profile.samples) {
    std::vector<uint32_t> stack;
    stack.reserve(sample.locations.size());
    for (uint32_t location : sample.locations) stack.push_back(location_map[location]);
    builder.add(thread_map[sample.thread], std::move(stack), sample.end, sample.count,
                sample.off_cpu_ns);
  }
  Profile view = std::move(builder.profile());
  view.frequency_hz = profile.frequency_hz;
  view.container_frames = options.container_frame && options.per_process;
  view.duration_seconds = profile.duration_seconds;
  view.mode = profile.mode;
  return view;
}

}  // namespace stprof
