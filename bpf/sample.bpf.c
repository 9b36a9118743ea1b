// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The sampler: a perf_event program on every CPU. For a task of a registered Python process it
 * finds the thread's PyThreadState, walks its Python frames, interns the stack in `stacks` and
 * counts it per (pid, tid, stack) in the active counts map. Every early exit is counted. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "lib/events.bpf.h"
#include "lib/frames.bpf.h"
#include "lib/maps.bpf.h"
#include "lib/task_cache.bpf.h"
#include "lib/thread_state.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Declared in maps.bpf.h, shared with procs.bpf.c and userspace (the mapped .bss). */
struct stprof_control control = {};
/* Cache-line aligned: a group (32 bytes) then never straddles two lines, and a sample of any
 * other program reads one (`registered`, then `ran`). */
struct stprof_pid_group pid_groups[STPROF_PID_GROUPS] __attribute__((aligned(64))) = {};
__u64 ran_groups[STPROF_PID_GROUPS / 64] = {};

/* Stores the scratch stack under stack_id unless it is there already; whether it is there.
 * Chunk 0 goes last so that userspace, which looks up chunk 0 first, never sees a partly
 * inserted stack. A stack this CPU interned or found lately (scratch->interned) is taken as
 * there without a lookup: userspace deletes a stack from the map only once it has its own copy.
 * A global function, verified once on its own. */
__noinline bool intern_stack(struct stprof_scratch *scratch, __u64 stack_id, __u32 depth,
                             __u32 pid) {
  if (!scratch) return false; /* a global function's pointer arguments may be NULL */
  __u64 *recent = &scratch->interned[stack_id & (STPROF_INTERNED_MEMO - 1)];
  if (*recent == stack_id) return true;
  struct stprof_chunk_key key = {.stack_id = stack_id};
  if (bpf_map_lookup_elem(&stacks, &key)) {
    *recent = stack_id;
    return true;
  }

  __u32 last = (depth - 1) / STPROF_CHUNK_FRAMES;
  for (int i = STPROF_MAX_CHUNKS - 1; i >= 0; i--) {
    if ((__u32)i > last) continue;
    key.chunk = i;
    if (bpf_map_update_elem(&stacks, &key, &scratch->chunks[i], BPF_ANY)) return false;
  }
  count(STPROF_STACKS_NEW);
  send_event(STPROF_EVENT_NEW_STACK, pid, 0, 0, stack_id);
  *recent = stack_id;
  return true;
}

static __always_inline bool add_count(void *counts_map, struct stprof_count_key *key) {
  __u64 *value = bpf_map_lookup_elem(counts_map, key);
  if (value) {
    __sync_fetch_and_add(value, 1);
    return true;
  }
  __u64 one = 1;
  if (!bpf_map_update_elem(counts_map, key, &one, BPF_NOEXIST)) return true;
  value = bpf_map_lookup_elem(counts_map, key); /* lost a race with another CPU */
  if (!value) return false;
  __sync_fetch_and_add(value, 1);
  return true;
}

SEC("perf_event")
int stprof_sample(struct bpf_perf_event_data *ctx) {
  __u64 pid_tgid = bpf_get_current_pid_tgid();
  __u32 pid = pid_tgid >> 32;
  __u32 tid = (__u32)pid_tgid;

  struct stprof_pid_group *group = pid_group(pid);
  if (!(group->registered & stprof_pid_bit(pid))) {
    mark_ran(group, pid);
    count(STPROF_EXIT_NOT_PYTHON);
    return 0;
  }
  struct task_struct *task = bpf_get_current_task_btf();
  struct stprof_task_cache *cache = task_cache(task, pid, group);
  if (!cache) return 0; /* counted there */
  const struct stprof_process *proc = &cache->process;
  __u64 fsbase = BPF_CORE_READ(task, thread.fsbase);
  if (!fsbase) {
    count(STPROF_EXIT_NO_FSBASE);
    return 0;
  }
  __u32 cpu = bpf_get_smp_processor_id();
  struct stprof_scratch *scratch = bpf_map_lookup_elem(&scratch_stacks, &cpu);
  if (!scratch) {
    count(STPROF_EXIT_NO_SCRATCH);
    return 0;
  }
  if (!find_thread_state(cache, fsbase, scratch)) return 0; /* counted there */

  struct frame_walk walk = {
      .proc = proc,
      .scratch = scratch,
      .frame = current_frame(proc, scratch),
      .hash = 0x84222325cbf29ce4ULL,
      .memo_tag = code_memo_tag(cache, scratch, group),
  };
  if (walk.frame) bpf_loop(2 * STPROF_MAX_DEPTH, frame_walk_step, &walk, 0);
  /* Unconditional: skipping it when 0 doubled what the verifier checks (50k to 97k). */
  count_n(STPROF_CODE_READS, walk.code_reads);
  if (walk.depth == 0) {
    count(STPROF_EXIT_NO_FRAME);
    return 0;
  }

  __u64 stack_id = stprof_mix64(walk.hash, ((__u64)walk.flags << 32) | walk.depth);
  scratch->chunks[0].depth = walk.depth;
  scratch->chunks[0].flags = walk.flags;
  if (!intern_stack(scratch, stack_id, walk.depth, pid)) {
    count(STPROF_EXIT_STACK_MAP_FULL);
    return 0;
  }

  struct stprof_count_key key = {.pid = pid, .tid = tid, .stack_id = stack_id};
  bool counted = *(volatile __u32 *)&control.active_counts ? add_count(&counts_1, &key)
                                                           : add_count(&counts_0, &key);
  if (!counted) {
    count(STPROF_EXIT_COUNT_MAP_FULL);
    return 0;
  }
  count(STPROF_SAMPLES_RECORDED);
  return 0;
}
