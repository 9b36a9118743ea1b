#include "record/off_cpu_reason.h"

#include <algorithm>
#include <iterator>

#include "stprof_abi.h"

namespace stprof {
namespace {

struct SyscallName {
  unsigned number;
  const char* name;
};

// x86-64 system calls by number, generated at configure time from the kernel's
// <asm/unistd_64.h> (see userspace/CMakeLists.txt), in its order: ascending.
constexpr SyscallName kSyscalls[] = {
#include "syscall_names.inc"
};

}  // namespace

std::string off_cpu_reason(__u32 kind) {
  switch (kind) {
    case STPROF_KIND_RUNQUEUE:
      return "runqueue";
    case STPROF_KIND_GIL:
      return "GIL";
    case STPROF_KIND_STOPPED:
      return "stopped";
    case STPROF_KIND_FAULT:
      return "page fault";
    default:
      break;
  }
  if (kind < STPROF_KIND_SYSCALL) return "unknown";
  unsigned number = kind - STPROF_KIND_SYSCALL;
  const SyscallName* found =
      std::lower_bound(std::begin(kSyscalls), std::end(kSyscalls), number,
                       [](const SyscallName& entry, unsigned n) { return entry.number < n; });
  if (found != std::end(kSyscalls) && found->number == number) return found->name;
  return "syscall " + std::to_string(number);
}

}  // namespace stprof
