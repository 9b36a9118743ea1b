/* The sampler's per-thread cache (struct stprof_task_cache): the process's entry, copied once
 * per thread and per change of its PID group, instead of a hash lookup on every sample. */
#ifndef STPROF_TASK_CACHE_BPF_H
#define STPROF_TASK_CACHE_BPF_H

#include <bpf/bpf_core_read.h>

#include "maps.bpf.h"

/* The cache of `task` of registered process `pid`, whose entry is copied anew when `group`'s
 * generation moved; NULL with *exit set to why there is none (a counter id). */
static __always_inline struct stprof_task_cache *task_cache(struct task_struct *task, __u32 pid,
                                                            struct stprof_pid_group *group,
                                                            __u32 *exit) {
  /* Read before the entry is: a change after this read moves the generation again. */
  __u64 generation = *(volatile __u64 *)&group->generation;
  struct stprof_task_cache *cache =
      bpf_task_storage_get(&task_caches, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
  if (!cache) {
    *exit = STPROF_EXIT_NO_TASK_CACHE;
    return NULL;
  }
  if (cache->generation == generation && generation) return cache;
  struct stprof_process *entry = bpf_map_lookup_elem(&processes, &pid);
  if (!entry) {
    *exit = STPROF_EXIT_NOT_PYTHON;
    return NULL;
  }
  cache->process = *entry;
  /* An exec by another thread makes this one the leader: an exec moves the generation. */
  cache->process_id = ((__u64)pid << 32) ^ BPF_CORE_READ(task, group_leader, start_time);
  cache->generation = generation;
  return cache;
}

/* Marks process `pid` as having counts in the maps (STPROF_PROCESS_SAMPLED in its entry), once
 * per copy of the entry: then its exec waits for userspace to collate them (see procs.bpf.c). */
static __always_inline void mark_sampled(struct stprof_task_cache *cache, __u32 pid) {
  if (cache->process.flags & STPROF_PROCESS_SAMPLED) return;
  cache->process.flags |= STPROF_PROCESS_SAMPLED;
  struct stprof_process *entry = bpf_map_lookup_elem(&processes, &pid);
  if (entry && !(entry->flags & STPROF_PROCESS_SAMPLED)) entry->flags |= STPROF_PROCESS_SAMPLED;
}

#endif /* STPROF_TASK_CACHE_BPF_H */
