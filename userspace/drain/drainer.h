// Reading what the sampler counted: sample counts, interned stacks and per-reason counters.
#pragma once

#include <linux/types.h>

#include <array>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "drain/sampler_maps.h"
#include "stprof_abi.h"

namespace stprof {

struct RawSample {
  __u32 pid = 0;
  __u32 tid = 0;
  __u64 stack_id = 0;
  __u64 count = 0;
};

struct RawStack {
  __u16 flags = 0;                   // enum stprof_stack_flags
  std::vector<stprof_frame> frames;  // leaf first
};

using Counters = std::array<__u64, STPROF_NUM_COUNTERS>;

class Drainer {
 public:
  explicit Drainer(SamplerMaps maps) : maps_(maps) {}

  // Switches the sampler to the other counts map, lets samples in flight finish, then reads and
  // empties the map it left: no increment is lost to a concurrent delete.
  std::vector<RawSample> drain_counts();

  // The stack with this id (copied from the kernel map on first use); nullptr if it is missing.
  const RawStack* stack(__u64 stack_id);

  // Deletes from the kernel map the stacks already copied once the map is half full, so long runs
  // do not fill it. A stack seen again is simply interned again.
  void trim_kernel_stacks();

  // Per-reason counters summed over CPUs (totals since load).
  Counters read_counters() const;

  // Samples whose stack could not be read back (missing from the stacks map).
  __u64 lost_samples() const { return lost_samples_; }
  void count_lost(__u64 samples) { lost_samples_ += samples; }

 private:
  SamplerMaps maps_;
  std::unordered_map<__u64, RawStack> stacks_;
  __u64 lost_samples_ = 0;
};

}  // namespace stprof
