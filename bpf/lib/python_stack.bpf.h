/* The Python stack of one thread of a registered process, found, walked and interned: the step
 * the perf sample, the switch-out and the seeding iterator share. */
#ifndef STPROF_PYTHON_STACK_BPF_H
#define STPROF_PYTHON_STACK_BPF_H

#include <bpf/bpf_core_read.h>

#include "frames.bpf.h"
#include "maps.bpf.h"
#include "stacks.bpf.h"
#include "task_cache.bpf.h"
#include "thread_state.bpf.h"

/* Puts scratch->kernel[index] at depth `index` of the walk's stack, as a kernel frame (a
 * bpf_loop callback run from depth 0). The depth is set once after the loop: a callback that
 * bumped it would be verified again for every value it takes. */
static long put_kernel_frame(__u64 index, struct frame_walk *walk) {
  if (index >= STPROF_MAX_KERNEL_FRAMES) return 1;
  struct stprof_scratch *scratch = walk->scratch;
  struct stprof_frame *out =
      &scratch->chunks[index / STPROF_CHUNK_FRAMES].frames[index % STPROF_CHUNK_FRAMES];
  out->code = scratch->kernel[index];
  out->instr = STPROF_FRAME_KERNEL;
  out->fingerprint = 0;
  walk->hash = stprof_hash_frame(walk->hash, out);
  return 0;
}

/* Interns the Python stack `task` is running (a thread of process `pid` in `group`, whose cache
 * is `cache`), built in `scratch`, and sets *stack_id; false with *exit set to why there is none
 * (a counter id). With --gil, a thread that does not hold the GIL has none. The stack starts
 * with the kernel frames read into the scratch (kernel_stack.bpf.h); a thread with kernel frames
 * and no Python frame has none. */
static __always_inline bool python_stack(struct task_struct *task, __u32 pid,
                                         const struct stprof_pid_group *group,
                                         struct stprof_task_cache *cache,
                                         struct stprof_scratch *scratch, __u64 *stack_id,
                                         __u32 *exit) {
  const struct stprof_process *proc = &cache->process;
  __u64 fsbase = BPF_CORE_READ(task, thread.fsbase);
  if (!fsbase) {
    *exit = STPROF_EXIT_NO_FSBASE;
    return false;
  }
  __u64 tstate = find_thread_state(cache, fsbase, scratch, exit);
  if (!tstate) return false;
  if (gil_only && !holds_gil(proc, tstate)) {
    *exit = STPROF_EXIT_NOT_GIL_HOLDER;
    return false;
  }

  struct frame_walk walk = {
      .proc = proc,
      .scratch = scratch,
      .frame = current_frame(proc, scratch),
      .hash = 0x84222325cbf29ce4ULL,
      .memo_tag = code_memo_tag(cache, scratch, group),
  };
  /* No branch on the number of kernel frames: each way would double what the verifier checks
   * after it. kernel_stacks is a constant of the loaded program, so the verifier sees one way,
   * and without --kernel there is no helper call. */
  __u32 kernel_frames = 0;
  if (kernel_stacks) {
    kernel_frames = scratch->kernel_depth & STPROF_MAX_KERNEL_FRAMES; /* at most that */
    bpf_loop(kernel_frames, put_kernel_frame, &walk, 0);
    walk.depth = kernel_frames;
  }
  if (walk.frame) bpf_loop(2 * STPROF_MAX_DEPTH, frame_walk_step, &walk, 0);
  /* Unconditional: skipping it when 0 doubled what the verifier checks (50k to 97k). */
  count_n(STPROF_CODE_READS, walk.code_reads);
  if (walk.depth == kernel_frames) {
    *exit = STPROF_EXIT_NO_FRAME;
    return false;
  }

  __u64 id = stprof_mix64(walk.hash, ((__u64)walk.flags << 32) | walk.depth);
  scratch->chunks[0].depth = walk.depth;
  scratch->chunks[0].flags = walk.flags;
  if (!STPROF_SUBPROG_NAME(intern_stack)(scratch, id, walk.depth, pid)) {
    *exit = STPROF_EXIT_STACK_MAP_FULL;
    return false;
  }
  *stack_id = id;
  mark_sampled(cache, pid);
  return true;
}

#endif /* STPROF_PYTHON_STACK_BPF_H */
