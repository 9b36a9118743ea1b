/* Finding the PyThreadState of the interrupted thread.
 *
 * CPython stores pthread_self() in PyThreadState.thread_id; on x86-64 glibc and musl that is the
 * thread pointer, i.e. the task's FS base. We walk interpreters -> thread states once per thread,
 * then cache tid -> tstate (with where its interpreter's code epoch is) and re-validate
 * thread_id == FS base on every hit (a thread that exited and whose tid was reused fails the check
 * and is looked up again). */
#ifndef STPROF_THREAD_STATE_BPF_H
#define STPROF_THREAD_STATE_BPF_H

#include "maps.bpf.h"

static __always_inline int read_user_u64(__u64 *out, __u64 addr) {
  return bpf_probe_read_user(out, sizeof(*out), (const void *)addr);
}

struct thread_search {
  const struct stprof_process *proc;
  __u64 fsbase;
  __u64 tstate; /* current candidate, then the match */
  bool found;
  bool fault;
};

static long thread_search_step(__u64 index, struct thread_search *search) {
  const struct stprof_process *proc = search->proc;
  __u64 thread_id = 0;
  if (!search->tstate) return 1;
  if (read_user_u64(&thread_id, search->tstate + proc->tstate_thread_id)) {
    search->fault = true;
    return 1;
  }
  if (thread_id == search->fsbase) {
    search->found = true;
    return 1;
  }
  if (read_user_u64(&search->tstate, search->tstate + proc->tstate_next)) {
    search->fault = true;
    return 1;
  }
  return 0;
}

/* Where the code epoch counter of tstate's interpreter is (see stprof_process); 0: none. */
static __always_inline __u64 code_epoch_addr(const struct stprof_process *proc, __u64 tstate) {
  __u64 interp = 0;
  if (!proc->interp_code_epoch || read_user_u64(&interp, tstate + proc->tstate_interp) || !interp)
    return 0;
  return interp + proc->interp_code_epoch;
}

/* Fills *out with the thread's cache entry and returns true, or counts why there is none. */
static __always_inline bool find_thread_state(const struct stprof_process *proc, __u32 tid,
                                              __u64 fsbase, struct stprof_thread_state *out) {
  struct stprof_thread_state *cached = bpf_map_lookup_elem(&thread_states, &tid);
  if (cached && cached->fsbase == fsbase) {
    __u64 thread_id = 0;
    if (!read_user_u64(&thread_id, cached->tstate + proc->tstate_thread_id) &&
        thread_id == fsbase) {
      count(STPROF_THREAD_CACHE_HIT);
      *out = *cached;
      return true;
    }
  }
  count(STPROF_THREAD_CACHE_MISS);

  __u64 interp = 0;
  if (read_user_u64(&interp, proc->interpreters_head_addr)) {
    count(STPROF_EXIT_THREAD_STATE_FAULT);
    return false;
  }
  struct thread_search search = {.proc = proc, .fsbase = fsbase};
  for (int i = 0; i < STPROF_MAX_INTERPRETERS && interp; i++) {
    if (read_user_u64(&search.tstate, interp + proc->interp_threads_head)) {
      search.fault = true;
      break;
    }
    long visited = bpf_loop(STPROF_MAX_THREADS, thread_search_step, &search, 0);
    if (search.found || search.fault) break;
    if (visited == STPROF_MAX_THREADS && search.tstate) count(STPROF_THREAD_LIST_TRUNCATED);
    if (read_user_u64(&interp, interp + proc->interp_next)) {
      search.fault = true;
      break;
    }
  }
  if (!search.found) {
    count(search.fault ? STPROF_EXIT_THREAD_STATE_FAULT : STPROF_EXIT_NO_THREAD_STATE);
    return false;
  }
  out->tstate = search.tstate;
  out->fsbase = fsbase;
  out->code_epoch_addr = code_epoch_addr(proc, search.tstate);
  bpf_map_update_elem(&thread_states, &tid, out, BPF_ANY);
  return true;
}

/* The innermost frame of the thread (3.11/3.12 reach it through tstate->cframe). 0: none. */
static __always_inline __u64 current_frame(const struct stprof_process *proc, __u64 tstate) {
  __u64 frame = 0;
  if (read_user_u64(&frame, tstate + proc->tstate_frame)) return 0;
  if (proc->cframe_current_frame >= 0 && frame &&
      read_user_u64(&frame, frame + (__u64)proc->cframe_current_frame))
    return 0;
  return frame;
}

#endif /* STPROF_THREAD_STATE_BPF_H */
