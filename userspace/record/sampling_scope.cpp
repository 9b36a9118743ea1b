#include "record/sampling_scope.h"

#include <vector>

namespace stprof {
namespace {

// One perf event per thread of the -p processes and --pid-tree trees. Threads and children
// started while a round runs are picked up by the next one.
Result<void> sample_target_threads(SamplerControl& sampler, ProcessSource& system,
                                   const TargetFilter& filter) {
  constexpr int kRounds = 8;
  for (int round = 0; round < kRounds; round++) {
    std::vector<int> pids = filter.pids;
    for (int pid : system.in_trees(filter.tree_roots)) pids.push_back(pid);
    Result<size_t> added = sampler.sample_threads_of(pids);
    if (!added) return added.error();
    if (*added == 0) break;
  }
  return {};
}

}  // namespace

Result<void> choose_sampling_scope(SamplerControl& sampler, ProcessSource& system,
                                   const TargetFilter& filter, ProfileMode mode,
                                   const std::function<void(const std::string&)>& warn) {
  if (mode == ProfileMode::kCpu && filter.confined_to_named_processes()) {
    Result<void> followed = sample_target_threads(sampler, system, filter);
    if (followed) return {};
    warn(followed.error().message +
         "; sampling every CPU instead (other tasks' samples are dropped in the kernel)");
  }
  return sampler.sample_every_cpu();
}

}  // namespace stprof
