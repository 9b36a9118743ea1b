#include "agent/service_split.h"

#include <map>
#include <utility>

namespace stprof {
namespace {

// A value shared by every process: the first one seen, then "" on any other.
void keep_if_shared(std::string& kept, const std::string& value, bool first) {
  if (first) {
    kept = value;
  } else if (kept != value) {
    kept.clear();
  }
}

struct Slice {
  ServiceProfile out;
  ProfileBuilder builder;
  std::map<uint32_t, uint32_t> locations;  // location in the whole -> in the slice
  bool has_process = false;
};

}  // namespace

std::vector<ServiceProfile> split_by_service(const Profile& profile, ServiceBy by, bool per_process) {
  std::map<std::pair<std::string, int>, Slice> slices;
  std::vector<Slice*> slice_of_process(profile.processes.size(), nullptr);
  for (size_t i = 0; i < profile.processes.size(); i++) {
    const ProcessInfo& process = profile.processes[i];
    std::string service = service_of(process, by);
    int pid = per_process ? process.pid : 0;
    auto [it, inserted] = slices.try_emplace({service, pid});
    Slice& slice = it->second;
    if (inserted) {
      slice.out.service = service;
      slice.out.pid = pid;
    }
    keep_if_shared(slice.out.container_id, process.container_id, !slice.has_process);
    keep_if_shared(slice.out.python_version, process.python_version, !slice.has_process);
    slice.has_process = true;
    slice_of_process[i] = &slice;
  }
  for (const Sample& sample : profile.samples) {
    const ThreadInfo& thread = profile.threads[sample.thread];
    Slice& slice = *slice_of_process[thread.process];
    uint32_t process = slice.builder.process(thread.process, profile.processes[thread.process]);
    uint32_t slice_thread = slice.builder.thread(process, thread.tid, thread.name);
    std::vector<uint32_t> locations;
    locations.reserve(sample.locations.size());
    for (uint32_t index : sample.locations) {
      auto [known, inserted] = slice.locations.try_emplace(index, 0);
      if (inserted) {
        const Location& location = profile.locations[index];
        const Function& function = profile.functions[location.function];
        known->second = slice.builder.location(profile.strings[function.name],
                                               profile.strings[function.file], location.line);
      }
      locations.push_back(known->second);
    }
    slice.builder.add(slice_thread, std::move(locations), sample.end, sample.count, sample.off_cpu_ns);
  }
  std::vector<ServiceProfile> result;
  for (auto& [key, slice] : slices) {
    if (slice.builder.profile().samples.empty()) continue;
    slice.out.profile = std::move(slice.builder.profile());
    slice.out.profile.frequency_hz = profile.frequency_hz;
    slice.out.profile.mode = profile.mode;
    result.push_back(std::move(slice.out));
  }
  return result;
}

}  // namespace stprof
