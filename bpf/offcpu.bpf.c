// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Wall mode's second sample source: the scheduler's context switches (loaded only with --mode
 * wall). When a thread of a registered Python process is switched out, it is still `current`:
 * its Python stack is walked and interned as a perf sample's would be, and kept in its
 * stprof_task_cache with the time and the reason (off_cpu_kind). When it is switched in again,
 * the time it spent off the CPU is added to the count of that stack and reason. Threads already
 * off the CPU when their process is registered are recorded by the seeding iterator
 * (seed.bpf.c); the time of intervals still open is counted by stprof_flush_off_cpu at every
 * drain and when the run ends.
 * A switch between tasks of other processes costs a bit test of each side's PID. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "lib/kernel_stack.bpf.h"
#include "lib/maps.bpf.h"
#include "lib/off_cpu.bpf.h"
#include "lib/python_stack.bpf.h"
#include "lib/task_cache.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by userspace before each flush: the time up to which it counts the intervals still open. */
__u64 off_cpu_end_ns = 0;

static __always_inline bool is_registered(__u32 pid) {
  return pid_group(pid)->registered & stprof_pid_bit(pid);
}

static __always_inline void switched_in(struct task_struct *next) {
  __u32 pid = next->tgid;
  if (!is_registered(pid)) return;
  struct stprof_task_cache *cache = bpf_task_storage_get(&task_caches, next, 0, 0);
  if (!cache || !cache->off_cpu_since) return;
  /* Exchanged, with a flush on another CPU that may advance it (stprof_flush_off_cpu). */
  __u64 since = __sync_lock_test_and_set(&cache->off_cpu_since, 0);
  __u64 now = bpf_ktime_get_ns();
  if (since && now > since) {
    count_off_cpu(pid, next->pid, cache->off_cpu_stack, cache->off_cpu_kind, now - since);
  }
}

static __always_inline void switched_out(void *ctx, struct task_struct *prev, bool preempted,
                                         __u32 state) {
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
  if (!scratch) {
    count(STPROF_OFFCPU_NO_STACK);
    return;
  }
  read_kernel_frames_here(ctx, scratch);
  if (!python_stack(prev, pid, group, cache, scratch, &stack_id, &exit)) {
    count(STPROF_OFFCPU_NO_STACK);
    return;
  }
  cache->off_cpu_stack = stack_id;
  cache->off_cpu_kind = off_cpu_kind(prev, preempted, state, &cache->process);
  /* Last, a full barrier: whoever sees the time sees the stack and reason with it. */
  __sync_lock_test_and_set(&cache->off_cpu_since, bpf_ktime_get_ns());
  count(STPROF_OFFCPU_RECORDED);
}

/* Runs with interrupts off, so no perf sample on this CPU can share the scratch slot. The clock is
 * read only for a registered thread: for every other switch it cost more than the bit tests. */
SEC("tp_btf/sched_switch")
int BPF_PROG(stprof_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
             unsigned int prev_state) {
  switched_in(next);
  switched_out(ctx, prev, preempt, prev_state);
  return 0;
}

/* Run by userspace over every task at each drain, and once more after the switch program is
 * detached: counts the time of each interval still open up to off_cpu_end_ns, and moves its start
 * there. A thread switched in meanwhile has taken the interval (its start is 0 or newer): the
 * exchange fails and the switch-in counts it; the stack and reason read before the exchange are
 * the interval's, since a switch-out writes them before its start. */
SEC("iter/task")
int stprof_flush_off_cpu(struct bpf_iter__task *ctx) {
  struct task_struct *task = ctx->task;
  if (!task) return 0;
  struct stprof_task_cache *cache = bpf_task_storage_get(&task_caches, task, 0, 0);
  if (!cache) return 0;
  __u64 since = cache->off_cpu_since;
  __u64 end = off_cpu_end_ns;
  if (!since || end <= since) return 0;
  __u64 stack = cache->off_cpu_stack;
  __u32 kind = cache->off_cpu_kind;
  if (__sync_val_compare_and_swap(&cache->off_cpu_since, since, end) != since) return 0;
  count_off_cpu(task->tgid, task->pid, stack, kind, end - since);
  return 0;
}
