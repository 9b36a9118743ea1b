/* Finding the PyThreadState of the interrupted thread.
 *
 * CPython stores pthread_self() in PyThreadState.thread_id; on x86-64 glibc and musl that is the
 * thread pointer, i.e. the task's FS base. We walk interpreters -> thread states once per thread,
 * then keep the thread state in the thread's stprof_task_cache and re-validate thread_id == FS
 * base on every hit (a thread state freed, or left behind by an exec, fails the check and is
 * looked up again). The fields read on every sample (thread_id, the frame, the interpreter)
 * come in one read: stprof_tstate_window. */
#ifndef STPROF_THREAD_STATE_BPF_H
#define STPROF_THREAD_STATE_BPF_H

#include "maps.bpf.h"
#include "user_memory.bpf.h"

static __always_inline int read_user_u64(__u64 *out, __u64 addr) {
  return STPROF_READ_USER(out, sizeof(*out), (const void *)addr);
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

/* Reads the thread state's window (stprof_tstate_window) into scratch->tstate; false if it
 * faulted. */
static __always_inline bool read_tstate_window(const struct stprof_process *proc, __u64 tstate,
                                               struct stprof_scratch *scratch) {
  struct stprof_span span = stprof_tstate_window(proc);
  __u32 size = span.end - span.start;
  if (size > STPROF_TSTATE_WINDOW) size = STPROF_TSTATE_WINDOW; /* userspace keeps it within */
  return !STPROF_READ_USER(scratch->tstate, size, (const void *)(tstate + span.start));
}

/* The 8 bytes at `offset` of the thread state, from its window in scratch->tstate. */
static __always_inline __u64 tstate_u64(const struct stprof_process *proc,
                                        const struct stprof_scratch *scratch, __u32 offset) {
  __u32 at = offset - stprof_tstate_window(proc).start;
  if (at > STPROF_TSTATE_WINDOW - 8) return 0;
  return *(const __u64 *)(scratch->tstate + at);
}

/* The PyThreadState of the thread whose cache this is, with its window in scratch->tstate; 0
 * with *exit set to why there is none (a counter id). */
static __always_inline __u64 find_thread_state(struct stprof_task_cache *cache, __u64 fsbase,
                                               struct stprof_scratch *scratch, __u32 *exit) {
  const struct stprof_process *proc = &cache->process;
  if (cache->tstate && cache->fsbase == fsbase &&
      read_tstate_window(proc, cache->tstate, scratch) &&
      tstate_u64(proc, scratch, proc->tstate_thread_id) == fsbase) {
    count(STPROF_THREAD_CACHE_HIT);
    return cache->tstate;
  }
  count(STPROF_THREAD_CACHE_MISS);

  __u64 interp = 0;
  if (read_user_u64(&interp, proc->interpreters_head_addr)) {
    *exit = STPROF_EXIT_THREAD_STATE_FAULT;
    return 0;
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
  if (search.found && !read_tstate_window(proc, search.tstate, scratch)) search.fault = true;
  if (!search.found || search.fault) {
    *exit = search.fault ? STPROF_EXIT_THREAD_STATE_FAULT : STPROF_EXIT_NO_THREAD_STATE;
    return 0;
  }
  cache->tstate = search.tstate;
  cache->fsbase = fsbase;
  return search.tstate;
}

/* The innermost frame of the thread whose window is in scratch->tstate (3.11/3.12 reach it
 * through tstate->cframe). 0: none. */
static __always_inline __u64 current_frame(const struct stprof_process *proc,
                                           const struct stprof_scratch *scratch) {
  __u64 frame = tstate_u64(proc, scratch, proc->tstate_frame);
  if (proc->cframe_current_frame >= 0 && frame &&
      read_user_u64(&frame, frame + (__u64)proc->cframe_current_frame))
    return 0;
  return frame;
}

/* Where the code epoch of the interpreter of the thread whose window is in scratch->tstate is
 * (see stprof_process); 0: none. Read on every sample: a thread state freed and made again at
 * the same address may belong to another interpreter. */
static __always_inline __u64 code_epoch_addr(const struct stprof_process *proc,
                                             const struct stprof_scratch *scratch) {
  if (!proc->interp_code_epoch) return 0;
  __u64 interp = tstate_u64(proc, scratch, proc->tstate_interp);
  return interp ? interp + proc->interp_code_epoch : 0;
}

/* Whether `tstate` holds its process's GIL (see stprof_process.gil_addr): always in a
 * free-threaded process whose GIL is disabled or unknown (its threads run as if each held it);
 * otherwise false when the GIL is unknown or unreadable. */
static __always_inline bool holds_gil(const struct stprof_process *proc, __u64 tstate) {
  __s32 enabled = 0;
  __u32 locked = 0;
  __u64 holder = 0;
  if (proc->flags & STPROF_PROCESS_FREE_THREADED) {
    if (!proc->gil_addr) return true;
    if (STPROF_READ_USER(&enabled, sizeof(enabled), (const void *)(proc->gil_addr + proc->gil_enabled))) {
      return false;
    }
    if (!enabled) return true;
  }
  if (!proc->gil_addr) return false;
  if (STPROF_READ_USER(&locked, sizeof(locked), (const void *)(proc->gil_addr + proc->gil_locked)) ||
      read_user_u64(&holder, proc->gil_addr + proc->gil_last_holder)) {
    return false;
  }
  return locked && holder == tstate;
}

#endif /* STPROF_THREAD_STATE_BPF_H */
