/* Wall mode: why a thread is off the CPU, and counting the time it was. See offcpu.bpf.c. */
#ifndef STPROF_OFF_CPU_BPF_H
#define STPROF_OFF_CPU_BPF_H

#include <bpf/bpf_core_read.h>

#include "maps.bpf.h"
#include "stacks.bpf.h"
#include "user_memory.bpf.h"

/* Task states (include/linux/sched.h). */
#define STPROF_TASK_RUNNING 0x0000
#define STPROF_TASK_STOPPED 0x0004 /* __TASK_STOPPED */
#define STPROF_TASK_TRACED 0x0008  /* __TASK_TRACED */

#define STPROF_NR_FUTEX 202 /* x86-64 */
#define STPROF_SYSCALL_INSN 0x050f /* `syscall` (0f 05), read as a little-endian __u16 */

/* Whether `task` owns the GIL's mutex (gil->mutex, a pthread mutex whose owner glibc records):
 * it is inside take_gil or drop_gil, between the waits on the GIL's condition variable. A thread
 * that holds the GIL itself, or runs C code without it, does not. */
static __always_inline bool owns_gil_mutex(struct task_struct *task,
                                           const struct stprof_process *proc) {
  __u32 owner = 0;
  if (!proc->gil_addr || !proc->gil_mutex_owner ||
      STPROF_READ_USER(&owner, sizeof(owner), (const void *)(proc->gil_addr + proc->gil_mutex_owner))) {
    return false;
  }
  return owner && owner == (__u32)BPF_CORE_READ(task, pid);
}

/* Why `task`, leaving the CPU in `state` (preempted or not), is off it (enum
 * stprof_sample_kind), `proc` being its process. A task is in a system call when its saved
 * registers hold a syscall number (orig_ax >= 0) and it entered the kernel right after a
 * `syscall` instruction: orig_ax alone cannot tell, since a page fault stores its error code
 * there (4 to 7 for faults from user mode: stat..poll). A futex wait on an address inside the
 * GIL's struct (its mutex and condition variables) is a wait for the GIL; so is a preemption
 * inside take_gil (a waiter woken to check the GIL again, or to take it). */
static __always_inline __u32 off_cpu_kind(struct task_struct *task, bool preempted, __u32 state,
                                          const struct stprof_process *proc) {
  if (preempted || state == STPROF_TASK_RUNNING) {
    return owns_gil_mutex(task, proc) ? STPROF_KIND_GIL : STPROF_KIND_RUNQUEUE;
  }
  struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
  long nr = BPF_CORE_READ(regs, orig_ax);
  __u64 ip = BPF_CORE_READ(regs, ip);
  __u16 insn = 0;
  if (nr < 0 || nr >= STPROF_KIND_SYSCALL ||
      STPROF_READ_USER(&insn, sizeof(insn), (const void *)(ip - 2)) ||
      insn != STPROF_SYSCALL_INSN) {
    return state & (STPROF_TASK_STOPPED | STPROF_TASK_TRACED) ? STPROF_KIND_STOPPED
                                                              : STPROF_KIND_FAULT;
  }
  if (nr == STPROF_NR_FUTEX && proc->gil_addr &&
      BPF_CORE_READ(regs, di) - proc->gil_addr < proc->gil_size) {
    return STPROF_KIND_GIL;
  }
  return STPROF_KIND_SYSCALL + (__u32)nr;
}

/* Adds `ns` off the CPU to thread `tid` of `pid` in `stack` for reason `kind`. */
static __always_inline void count_off_cpu(__u32 pid, __u32 tid, __u64 stack, __u32 kind, __u64 ns) {
  struct stprof_count_key key = {.pid = pid, .tid = tid, .stack_id = stack, .kind = kind};
  count(add_count(&key, ns) ? STPROF_OFFCPU_COUNTED : STPROF_OFFCPU_LOST);
}

#endif /* STPROF_OFF_CPU_BPF_H */
