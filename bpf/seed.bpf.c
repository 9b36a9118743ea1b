// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Task iterators over the threads of a registered process, run by userspace on demand.
 *
 * Wall mode: the threads of a process that are already off the CPU when it is registered. Their
 * switch-out happened before the profiler watched, so nothing recorded their stack: this task
 * iterator, run by userspace over the process's threads right after registering it, walks each
 * blocked thread's Python stack and records it as its switch-out would have (see offcpu.bpf.c),
 * from now on. It runs in the profiler, so it reads the thread's memory with
 * bpf_copy_from_user_task (which may sleep: a sleepable iterator), through its own copies of the
 * walker's global functions.
 *
 * `stprof-bpf dump`: every thread's Python stack and what it is doing now, written to the
 * iterator's file. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "lib/maps.bpf.h"

extern struct task_struct *bpf_task_from_pid(s32 pid) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;

/* The thread being seeded (host tid): the one whose memory the walker reads. Userspace runs one
 * iterator at a time. */
static __u32 seed_tid;

/* Reads `size` bytes at `src` in the thread's memory into `dst`, which holds `capacity` bytes. */
static __always_inline long seed_read_user(void *dst, __u32 size, const void *src, __u64 capacity) {
  struct task_struct *task = bpf_task_from_pid(seed_tid);
  if (!task) return -1;
  long err = -1;
  /* The callers' bounds on size do not survive the call above: bound it again, in 64 bits, next
   * to its use. */
  __u64 bytes = (__u64)size & 0xffff;
  barrier_var(bytes);
  if (bytes <= capacity) err = bpf_copy_from_user_task(dst, bytes, src, task, 0);
  bpf_task_release(task);
  return err;
}
/* Every walker read is into an array (sizeof: its size) or into a variable through a pointer of
 * at least the size read, a constant the verifier keeps. */
#define STPROF_READ_USER(dst, size, src) seed_read_user(dst, size, src, sizeof(dst))
/* Global functions of their own (verified once each; static ones, verified along every path of
 * the walk, take the verifier past its limit), under names of their own. */
#define STPROF_SUBPROG __noinline
#define STPROF_SUBPROG_NAME(name) seed_##name

#include "lib/kernel_stack.bpf.h"
#include "lib/maps.bpf.h"
#include "lib/off_cpu.bpf.h"
#include "lib/python_stack.bpf.h"
#include "lib/task_cache.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set before load: the scratch slot after the CPUs' (see scratch_stacks). */
const volatile __u32 seed_scratch_slot = 0;

static __always_inline __u64 switches(const struct task_struct *task) {
  return task->nvcsw + task->nivcsw;
}

SEC("iter.s/task")
int stprof_seed_off_cpu(struct bpf_iter__task *ctx) {
  struct task_struct *task = ctx->task;
  if (!task) return 0;
  __u32 pid = task->tgid;
  struct stprof_pid_group *group = pid_group(pid);
  if (!(group->registered & stprof_pid_bit(pid))) return 0;
  /* A thread on a CPU, or runnable, is recorded by its next switch-out. */
  __u32 state = task->__state;
  if (state == STPROF_TASK_RUNNING || task->on_cpu) return 0;
  __u64 switched = switches(task);

  seed_tid = task->pid;
  __u32 exit = 0;
  struct stprof_task_cache *cache = task_cache(task, pid, group, &exit);
  __u32 slot = seed_scratch_slot;
  struct stprof_scratch *scratch = bpf_map_lookup_elem(&scratch_stacks, &slot);
  __u64 stack_id = 0;
  if (!cache || !scratch) return 0;
  read_kernel_frames_of(task, scratch);
  if (!python_stack(task, pid, group, cache, scratch, &stack_id, &exit)) return 0;
  __u32 kind = off_cpu_kind(task, false, state, &cache->process);

  /* Recorded only if the thread stayed off the CPU throughout; a switch-out of its own since
   * registration wins. (A wake-up, run and switch-out within the few instructions between this
   * test and the exchange below would have its stack and reason overwritten.) */
  if (cache->off_cpu_since || task->on_cpu || switches(task) != switched) return 0;
  __u64 now = bpf_ktime_get_ns();
  cache->off_cpu_stack = stack_id;
  cache->off_cpu_kind = kind;
  if (__sync_val_compare_and_swap(&cache->off_cpu_since, 0, now) != 0) return 0;
  if (task->on_cpu || switches(task) != switched) {
    __sync_val_compare_and_swap(&cache->off_cpu_since, now, 0);
    return 0;
  }
  count(STPROF_OFFCPU_SEEDED);
  return 0;
}

SEC("iter.s/task")
int stprof_dump_threads(struct bpf_iter__task *ctx) {
  struct task_struct *task = ctx->task;
  if (!task) return 0;
  __u32 pid = task->tgid;
  struct stprof_pid_group *group = pid_group(pid);
  if (!(group->registered & stprof_pid_bit(pid))) return 0;
  struct stprof_thread_dump record = {.tid = task->pid, .exit = STPROF_EXIT_NO_TASK_CACHE};
  seed_tid = task->pid;
  struct stprof_task_cache *cache = task_cache(task, pid, group, &record.exit);
  __u32 slot = seed_scratch_slot;
  struct stprof_scratch *scratch = bpf_map_lookup_elem(&scratch_stacks, &slot);
  if (cache && scratch) {
    __u32 state = task->__state;
    /* On a CPU now (another one: this iterator runs in the profiler), or why not. */
    record.kind = task->on_cpu ? STPROF_KIND_CPU
                               : off_cpu_kind(task, state == STPROF_TASK_RUNNING, state, &cache->process);
    read_kernel_frames_of(task, scratch);
    if (!python_stack(task, pid, group, cache, scratch, &record.stack_id, &record.exit)) {
      record.stack_id = 0;
    }
  }
  bpf_seq_write(ctx->meta->seq, &record, sizeof(record));
  return 0;
}
