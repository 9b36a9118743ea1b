// What record/ reads back from the sampler (drain/map_feed.h reads the BPF maps; the unit tests
// have a fake): process lifecycle events, sample counts, interned stacks and counters.
#pragma once

#include <linux/types.h>

#include <array>
#include <functional>
#include <vector>

#include "stprof_abi.h"

namespace stprof {

struct RawSample {
  __u32 pid = 0;
  __u32 tid = 0;
  __u64 stack_id = 0;
  __u32 kind = STPROF_KIND_CPU;  // enum stprof_sample_kind
  __u64 count = 0;  // perf samples (STPROF_KIND_CPU), else nanoseconds off the CPU
};

struct RawStack {
  __u16 flags = 0;                   // enum stprof_stack_flags
  std::vector<stprof_frame> frames;  // leaf first
};

using Counters = std::array<__u64, STPROF_NUM_COUNTERS>;

class SampleFeed {
 public:
  using EventHandler = std::function<void(const stprof_event&)>;
  virtual ~SampleFeed() = default;

  // Waits up to `timeout_ms` for events and hands each to `handler`, in the order the kernel
  // sent them. A signal ends the wait early (so Ctrl-C is seen at once).
  virtual void poll_events(int timeout_ms, const EventHandler& handler) = 0;
  // Every count since the last call, each exactly once.
  virtual std::vector<RawSample> drain_counts() = 0;
  // The stack with this id; nullptr if it is missing.
  virtual const RawStack* stack(__u64 stack_id) = 0;
  // The same, for the stack announced by a STPROF_EVENT_NEW_STACK just now.
  virtual const RawStack* stack_interned(__u64 stack_id) = 0;
  // Lets the kernel's copy of stacks already read back be reclaimed, so long runs do not fill it.
  virtual void trim_kernel_stacks() = 0;
  // Stacks copied from the kernel and held (a bounded cache).
  virtual size_t held_stacks() const = 0;
  // Per-reason counters (totals since load).
  virtual Counters read_counters() const = 0;
};

}  // namespace stprof
