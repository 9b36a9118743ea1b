// What the profiler needs from the kernel before it starts.
#pragma once

#include "util/result.h"

namespace stprof {

// Root, or the capabilities to load BPF (CAP_BPF), open perf events (CAP_PERFMON) and read other
// users' processes' memory (CAP_SYS_PTRACE + CAP_DAC_READ_SEARCH).
Result<void> check_privileges();
// Kernel BTF, which the sampler's CO-RE relocations need.
Result<void> check_kernel_btf();

}  // namespace stprof
