// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Wall mode's second sample source: the scheduler's context switches (loaded only with --mode
 * wall). When a thread of a registered Python process is switched out, it is still `current`:
 * its Python stack is walked and interned as a perf sample's would be, and kept in its
 * stprof_task_cache with the time and the reason (off_cpu_kind). When it is switched in again,
 * the time it spent off the CPU is added to the count of that stack and reason. Threads already
 * off the CPU when their process is registered are recorded by the seeding iterator
 * (seed.bpf.c); intervals still open when the run ends are counted by stprof_flush_off_cpu.
 * A switch between tasks of other processes costs a bit test of each side's PID. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "lib/maps.bpf.h"
#include "lib/off_cpu.bpf.h"
#include "lib/python_stack.bpf.h"
#include "lib/task_cache.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by userspace after the switch program is detached: when the run ended. The flush counts
 * every interval still open up to then. */
__u64 off_cpu_end_ns = 0;

static __always_inline bool is_registered(__u32 pid) {
  return pid_group(pid)->registered & stprof_pid_bit(pid);
}

static __always_inline void switched_in(struct task_struct *next, __u64 now) {
  __u32 pid = next->tgid;
  if (!is_registered(pid)) return;
  struct stprof_task_cache *cache = bpf_task_storage_get(&task_caches, next, 0, 0);
  if (!cache || !cache->off_cpu_since) return;
  __u64 since = __sync_lock_test_and_set(&cache->off_cpu_since, 0);
  if (since && now > since) count_off_cpu(pid, next->pid, cache, now - since);
}

static __always_inline void switched_out(struct task_struct *prev, bool preempted, __u32 state,
                                         __u64 now) {
  __u32 pid = prev->tgid;
  struct stprof_pid_group *group = pid_group(pid);
  if (!(group->registered & stprof_pid_bit(pid))) return;
  __u32 exit = 0;
  struct stprof_task_cache *cache = task_cache(prev, pid, group, &exit);
  if (!cache) {
    count(STPROF_OFFCPU_NO_STACK);
    return;
  }
  __u32 cpu = bpf_get_smp_processor_id();
  struct stprof_scratch *scratch = bpf_map_lookup_elem(&scratch_stacks, &cpu);
  __u64 stack_id = 0;
  if (!scratch || !python_stack(prev, pid, group, cache, scratch, &stack_id, &exit)) {
    count(STPROF_OFFCPU_NO_STACK);
    return;
  }
  cache->off_cpu_stack = stack_id;
  cache->off_cpu_kind = off_cpu_kind(prev, preempted, state, &cache->process);
  /* Last: the switch-in that takes it runs after this switch is complete. */
  __sync_lock_test_and_set(&cache->off_cpu_since, now);
  count(STPROF_OFFCPU_RECORDED);
}

/* Runs with interrupts off, so no perf sample on this CPU can share the scratch slot. */
SEC("tp_btf/sched_switch")
int BPF_PROG(stprof_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
             unsigned int prev_state) {
  __u64 now = bpf_ktime_get_ns();
  switched_in(next, now);
  switched_out(prev, preempt, prev_state, now);
  return 0;
}

/* Run by userspace once over every task after the switch program is detached: counts each
 * interval still open, up to off_cpu_end_ns. */
SEC("iter/task")
int stprof_flush_off_cpu(struct bpf_iter__task *ctx) {
  struct task_struct *task = ctx->task;
  if (!task) return 0;
  struct stprof_task_cache *cache = bpf_task_storage_get(&task_caches, task, 0, 0);
  if (!cache || !cache->off_cpu_since) return 0;
  __u64 since = __sync_lock_test_and_set(&cache->off_cpu_since, 0);
  if (since && off_cpu_end_ns > since) {
    count_off_cpu(task->tgid, task->pid, cache, off_cpu_end_ns - since);
  }
  return 0;
}
