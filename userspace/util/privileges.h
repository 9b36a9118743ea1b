// What the profiler needs from the kernel before it starts.
#pragma once

#include "util/result.h"

namespace stprof {

// Root, or the capabilities to load BPF, open perf events and read other processes' memory.
Result<void> check_privileges();
// Kernel BTF, which the sampler's CO-RE relocations need.
Result<void> check_kernel_btf();

}  // namespace stprof
