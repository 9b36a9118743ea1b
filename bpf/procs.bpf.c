// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Process lifecycle: exec, fork and exit tracepoints keep the `processes` map true in the kernel
 * the moment things happen, and tell userspace through the `events` ring buffer.
 *  - exec: the process image is gone, so its registration is removed before it runs a single
 *    instruction of the new program; userspace inspects the new image. When the new image is
 *    an interpreter executable userspace has analysed already (python_images), it is registered
 *    here at once: a process is sampled from its start even while userspace lags behind (a
 *    burst of new processes on a loaded host), and userspace confirms it later.
 *  - fork: a child of a registered process has the parent's memory, hence its layout: it is
 *    registered at once (multiprocessing workers are sampled from their first instruction).
 *    Children of followed processes (--pid-tree) are followed too.
 *  - exit: when the whole process is gone its registration is removed.
 * And a 3.8-3.12 process's code objects freed, counted by a uprobe (its code epoch). */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "lib/events.bpf.h"
#include "lib/maps.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Registers pid, which has just exec'd, if its new executable is in python_images: the image's
 * entry with its addresses moved to where this process's text was loaded. */
static __always_inline bool register_known_image(struct task_struct *task, __u32 pid) {
  struct mm_struct *mm = BPF_CORE_READ(task, mm);
  struct inode *inode = BPF_CORE_READ(mm, exe_file, f_inode);
  struct stprof_image_key key = {
      .dev = BPF_CORE_READ(inode, i_sb, s_dev),
      .ino = BPF_CORE_READ(inode, i_ino),
      .size = BPF_CORE_READ(inode, i_size),
  };
  struct stprof_process *image = bpf_map_lookup_elem(&python_images, &key);
  if (!image) return false;
  struct stprof_process entry = *image;
  __u64 start_code = BPF_CORE_READ(mm, start_code);
  entry.interpreters_head_addr += start_code;
  if (entry.gil_addr) entry.gil_addr += start_code;
  return register_process(pid, &entry, entry.flags);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(stprof_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm) {
  __u32 pid = BPF_CORE_READ(task, tgid);
  struct stprof_process *entry = bpf_map_lookup_elem(&processes, &pid);
  __u32 flags = entry && (entry->flags & STPROF_PROCESS_SAMPLED) ? STPROF_EVENT_SAMPLED : 0;
  bool known = unregister_process(pid);
  bool followed_pid = bpf_map_lookup_elem(&followed, &pid) != NULL;
  known = known || followed_pid;
  /* Not when the image it leaves was sampled: userspace collates those counts with the old
   * image's code objects before the new image is registered under the same PID. */
  bool may_register = register_at_exec == STPROF_REGISTER_AT_EXEC_ALL ||
                      (register_at_exec == STPROF_REGISTER_AT_EXEC_FOLLOWED && followed_pid);
  if (!flags && may_register && register_known_image(task, pid)) {
    flags |= STPROF_EVENT_REGISTERED;
    count(STPROF_EXECS_REGISTERED);
  }
  if (known || report_every_exec || (flags & STPROF_EVENT_REGISTERED)) {
    send_event(STPROF_EVENT_EXEC, pid, 0, flags, 0);
  }
  return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(stprof_fork, struct task_struct *parent, struct task_struct *child) {
  __u32 parent_pid = BPF_CORE_READ(parent, tgid);
  __u32 child_pid = BPF_CORE_READ(child, tgid);
  if (parent_pid == child_pid) return 0; /* a new thread */
  if (!bpf_map_lookup_elem(&followed, &parent_pid)) return 0;
  __u8 one = 1;
  bpf_map_update_elem(&followed, &child_pid, &one, BPF_ANY);
  struct stprof_process *process = bpf_map_lookup_elem(&processes, &parent_pid);
  if (process && register_process(child_pid, process, 0)) {
    count(STPROF_FORKS_FOLLOWED);
  }
  send_event(STPROF_EVENT_FORK, child_pid, parent_pid, 0, 0);
  return 0;
}

/* Attached by userspace as a uprobe on code_dealloc (PyCode_Type.tp_dealloc) of one process,
 * 3.8-3.12: counts each code object it frees, before the memory can be reused (see
 * STPROF_PROCESS_CODE_FREES). */
SEC("uprobe")
int stprof_code_free(struct pt_regs *ctx) {
  __sync_fetch_and_add(&pid_group(bpf_get_current_pid_tgid() >> 32)->code_frees, 1);
  return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(stprof_exit, struct task_struct *task) {
  __u32 pid = BPF_CORE_READ(task, tgid);
  if (BPF_CORE_READ(task, signal, live.counter) != 0) return 0; /* other threads live on */
  bool registered = unregister_process(pid);
  bool followed_pid = bpf_map_delete_elem(&followed, &pid) == 0;
  if (registered || followed_pid) send_event(STPROF_EVENT_EXIT, pid, 0, 0, 0);
  return 0;
}
