// Reading what the sampler counted: sample counts, interned stacks and per-reason counters.
#pragma once

#include <linux/types.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "drain/sampler_maps.h"
#include "record/sample_feed.h"
#include "stprof_abi.h"
#include "util/lru_map.h"

namespace stprof {

class Drainer {
 public:
  explicit Drainer(SamplerMaps maps) : maps_(maps) {}

  // Switches the sampler to the other counts map, lets samples in flight finish, then reads and
  // empties the map it left: no increment is lost to a concurrent delete.
  std::vector<RawSample> drain_counts();

  // The stack with this id (copied from the kernel map on first use); nullptr if it is missing.
  const RawStack* stack(__u64 stack_id);

  // Copies the stack the sampler just interned (its STPROF_EVENT_NEW_STACK) and keeps count of
  // the kernel map's entries, so that trimming needs no walk of the map until it is half full.
  const RawStack* stack_interned(__u64 stack_id);

  // Once the kernel map is half full, copies every whole stack in it and deletes it there, so
  // long runs do not fill it. A stack seen again is simply interned again. After events were lost, the
  // count may miss stacks, and the map is walked to count it anew. First the copies beyond
  // kHeldStacks, least recently used first, are dropped: one sampled again is read again from
  // the kernel's map, where a stack sampled since its trim is interned anew.
  void trim_kernel_stacks();
  static constexpr size_t kHeldStacks = 32768;
  size_t held_stacks() const { return stacks_.size(); }

  // Per-reason counters summed over CPUs (totals since load).
  Counters read_counters() const;
  __u64 read_counter(__u32 id) const;

 private:
  SamplerMaps maps_;
  LruMap<__u64, RawStack> stacks_;
  // Entries (chunks) in the kernel's stacks map, counted from NEW_STACK events since the last walk.
  size_t kernel_chunks_ = 0;
  __u64 events_lost_at_trim_ = 0;
  // Room for one batch of the counts map (grown when a hash bucket holds more).
  std::vector<stprof_count_key> batch_keys_;
  std::vector<__u64> batch_counts_;
};

}  // namespace stprof
