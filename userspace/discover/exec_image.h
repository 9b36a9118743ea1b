// The executable a process runs, named as the kernel's exec program names it, and where its text
// was loaded: what lets the kernel register the next process that execs the same interpreter
// before userspace has looked at it (python_images, procs.bpf.c).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "stprof_abi.h"

namespace stprof {

struct ExecImage {
  stprof_image_key key;
  uint64_t start_code = 0;  // mm->start_code: the executable's load bias plus its text's vaddr
};

// The executable of process pid (stat of /proc/PID/exe) and where its text was loaded; nullopt
// when either cannot be read (a process gone, or startcode hidden from this reader).
std::optional<ExecImage> read_exec_image(int pid, const std::string& proc_root = "/proc");

// A device number from stat(2) as the kernel keeps it in super_block.s_dev (MAJOR << 20 | MINOR).
uint64_t kernel_dev(dev_t dev);

// The python_images entry of an executable that holds the runtime, from the entry of a process
// that runs it: its absolute addresses (all in the executable's image) made relative to where
// that process's text was loaded, and its flags left for the caller to decide.
stprof_process relative_to_text(const stprof_process& process, uint64_t start_code);

}  // namespace stprof
