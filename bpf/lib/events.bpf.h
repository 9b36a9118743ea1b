/* Sending events to userspace through the `events` ring buffer. */
#ifndef STPROF_EVENTS_BPF_H
#define STPROF_EVENTS_BPF_H

#include "maps.bpf.h"

static __always_inline void send_event(__u32 kind, __u32 pid, __u32 parent_pid, __u32 flags,
                                       __u64 stack_id) {
  struct stprof_event *event = bpf_ringbuf_reserve(&events, sizeof(*event), 0);
  if (!event) {
    count(STPROF_EVENTS_LOST);
    return;
  }
  event->kind = kind;
  event->pid = pid;
  event->parent_pid = parent_pid;
  event->flags = flags;
  event->ktime_ns = bpf_ktime_get_ns();
  event->stack_id = stack_id;
  bpf_ringbuf_submit(event, 0);
}

#endif /* STPROF_EVENTS_BPF_H */
