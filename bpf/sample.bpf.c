// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The sampler: a perf_event program on every CPU. For a task of a registered Python process it
 * finds the thread's PyThreadState, walks its Python frames, interns the stack in `stacks` and
 * counts it per (pid, tid, stack, STPROF_KIND_CPU) in the active counts map. Every early exit is
 * counted. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "lib/kernel_stack.bpf.h"
#include "lib/maps.bpf.h"
#include "lib/python_stack.bpf.h"
#include "lib/task_cache.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Declared in maps.bpf.h, shared with procs.bpf.c and userspace (the mapped .bss). */
struct stprof_control control = {};
/* Cache-line aligned: a group (32 bytes) then never straddles two lines, and a sample of any
 * other program reads one (`registered`, then `ran`). */
struct stprof_pid_group pid_groups[STPROF_PID_GROUPS] __attribute__((aligned(64))) = {};
__u64 ran_groups[STPROF_PID_GROUPS / 64] = {};

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
  __u32 exit = 0;
  struct stprof_task_cache *cache = task_cache(task, pid, group, &exit);
  if (!cache) {
    count(exit);
    return 0;
  }
  __u32 cpu = bpf_get_smp_processor_id();
  struct stprof_scratch *scratch = bpf_map_lookup_elem(&scratch_stacks, &cpu);
  __u64 stack_id = 0;
  if (!scratch) {
    count(STPROF_EXIT_NO_SCRATCH);
    return 0;
  }
  read_kernel_frames_here(ctx, scratch);
  if (!python_stack(task, pid, group, cache, scratch, &stack_id, &exit)) {
    count(exit);
    return 0;
  }
  struct stprof_count_key key = {.pid = pid, .tid = tid, .stack_id = stack_id,
                                 .kind = STPROF_KIND_CPU};
  count(add_count(&key, 1) ? STPROF_SAMPLES_RECORDED : STPROF_EXIT_COUNT_MAP_FULL);
  return 0;
}
