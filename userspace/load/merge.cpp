#include "load/merge.h"

#include "load/saved_profile_builder.h"

namespace stprof {
namespace {

const char* mode_name(ProfileMode mode) { return mode == ProfileMode::kWall ? "wall" : "cpu"; }

}  // namespace

Result<Profile> merge_profiles(const std::vector<NamedProfile>& profiles) {
  if (profiles.empty()) return Profile{};
  if (profiles.size() == 1) return profiles[0].profile;
  const NamedProfile* rated = nullptr;  // the first one with a known rate
  double duration = 0;
  for (const NamedProfile& named : profiles) {
    const Profile& profile = named.profile;
    if (profile.mode != profiles[0].profile.mode) {
      return make_error("cannot merge " + profiles[0].name + " (" +
                        mode_name(profiles[0].profile.mode) + " mode) with " + named.name + " (" +
                        mode_name(profile.mode) + " mode): their values measure different things");
    }
    if (profile.frequency_hz != 0) {
      if (rated && rated->profile.frequency_hz != profile.frequency_hz) {
        return make_error("cannot merge " + rated->name + " (" +
                          std::to_string(rated->profile.frequency_hz) + " Hz) with " + named.name +
                          " (" + std::to_string(profile.frequency_hz) +
                          " Hz): their samples stand for different times");
      }
      rated = rated ? rated : &named;
    }
    duration += profile.duration_seconds;
  }
  int frequency = rated ? rated->profile.frequency_hz : 0;
  SavedProfileBuilder builder(frequency ? 1000000000ULL / static_cast<uint64_t>(frequency) : 0);
  for (const NamedProfile& named : profiles) {
    const Profile& profile = named.profile;
    std::vector<uint32_t> threads(profile.threads.size());
    for (size_t t = 0; t < threads.size(); t++) {
      const ThreadInfo& thread = profile.threads[t];
      const ProcessInfo& process = profile.processes[thread.process];
      StackLevels levels;
      if (process.pid != 0) levels.process = process;
      if (thread.tid != 0) levels.thread = thread;
      threads[t] = builder.thread(levels);
    }
    std::vector<uint32_t> locations(profile.locations.size());
    for (size_t l = 0; l < locations.size(); l++) {
      const Location& location = profile.locations[l];
      const Function& function = profile.functions[location.function];
      locations[l] = builder.location({profile.strings[function.name],
                                       profile.strings[function.file], location.line});
    }
    for (const Sample& sample : profile.samples) {
      std::vector<uint32_t> stack;
      stack.reserve(sample.locations.size());
      for (uint32_t location : sample.locations) stack.push_back(locations[location]);
      Result<void> added = builder.add(threads[sample.thread], std::move(stack), sample.end,
                                       sample.count, sample.off_cpu_ns);
      if (!added) return make_error("cannot merge " + named.name + ": " + added.error().message);
    }
  }
  return builder.finish(profiles[0].profile.mode, frequency, duration);
}

}  // namespace stprof
