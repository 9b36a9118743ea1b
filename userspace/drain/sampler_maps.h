// The sampler's maps as drain/ sees them: plain file descriptors and the control block.
#pragma once

#include <linux/types.h>

#include "stprof_abi.h"

namespace stprof {

struct SamplerMaps {
  int stacks = -1;
  int counts[2] = {-1, -1};
  int counters = -1;
  int events = -1;  // ring buffer of stprof_event
  int stacks_capacity = 0;
  int counts_capacity = 0;
  stprof_control* control = nullptr;  // mmapped .bss of the loaded program
};

}  // namespace stprof
