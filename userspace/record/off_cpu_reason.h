// What an off-CPU kind (enum stprof_sample_kind) is called in a profile's [off-CPU: NAME] frame.
#pragma once

#include <linux/types.h>

#include <string>

namespace stprof {

// "runqueue", "GIL", "stopped", "page fault", or the system call's name ("read", "futex",
// "clock_nanosleep"; "syscall N" for a number this build does not know).
std::string off_cpu_reason(__u32 kind);

}  // namespace stprof
