/* --kernel: the kernel frames a stack starts with, read into scratch->kernel (leaf first) and
 * their number into scratch->kernel_depth (0 without --kernel) before its Python stack is walked
 * (python_stack). Passed through the scratch map, not a register: python_stack then reads one
 * number the verifier knows nothing of, whichever way it was set, and checks the rest of the walk
 * once rather than once per way. */
#ifndef STPROF_KERNEL_STACK_BPF_H
#define STPROF_KERNEL_STACK_BPF_H

#include "maps.bpf.h"

static __always_inline void kernel_frames_read(struct stprof_scratch *scratch, long bytes) {
  if (bytes < 0) {
    count(STPROF_KERNEL_STACK_FAULT);
    bytes = 0;
  }
  scratch->kernel_depth = (__u32)bytes / sizeof(__u64);
}

/* The kernel frames of what `ctx` interrupted (a perf sample: none when it interrupted user
 * code) or of the current task (a tracepoint). */
static __always_inline void read_kernel_frames_here(void *ctx, struct stprof_scratch *scratch) {
  scratch->kernel_depth = 0;
  if (kernel_stacks) {
    kernel_frames_read(scratch, bpf_get_stack(ctx, scratch->kernel, sizeof(scratch->kernel), 0));
  }
}

/* The kernel frames of `task`, which is off the CPU. */
static __always_inline void read_kernel_frames_of(struct task_struct *task,
                                                  struct stprof_scratch *scratch) {
  scratch->kernel_depth = 0;
  if (kernel_stacks) {
    kernel_frames_read(scratch,
                       bpf_get_task_stack(task, scratch->kernel, sizeof(scratch->kernel), 0));
  }
}

#endif /* STPROF_KERNEL_STACK_BPF_H */
