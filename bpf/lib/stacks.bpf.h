/* Interning stacks in `stacks` and counting them in the active counts map: what every kind of
 * sample (perf sample, switch-out, seeded thread) ends with. */
#ifndef STPROF_STACKS_BPF_H
#define STPROF_STACKS_BPF_H

#include "events.bpf.h"
#include "maps.bpf.h"
#include "user_memory.bpf.h"

/* Stores the scratch stack under stack_id unless it is there already; whether it is there.
 * Chunk 0 goes last so that userspace, which looks up chunk 0 first, never sees a partly
 * inserted stack. A stack this slot interned or found lately (scratch->interned) is taken as
 * there without a lookup: userspace deletes a stack from the map only once it has its own copy.
 * A global function, verified once on its own. */
STPROF_SUBPROG bool STPROF_SUBPROG_NAME(intern_stack)(struct stprof_scratch *scratch, __u64 stack_id, __u32 depth,
                                 __u32 pid) {
  if (!scratch) return false; /* a global function's pointer arguments may be NULL */
  __u64 *recent = &scratch->interned[stack_id & (STPROF_INTERNED_MEMO - 1)];
  if (*recent == stack_id) return true;
  struct stprof_chunk_key key = {.stack_id = stack_id};
  if (bpf_map_lookup_elem(&stacks, &key)) {
    *recent = stack_id;
    return true;
  }

  __u32 last = (depth - 1) / STPROF_CHUNK_FRAMES;
  for (int i = STPROF_MAX_CHUNKS - 1; i >= 0; i--) {
    if ((__u32)i > last) continue;
    key.chunk = i;
    if (bpf_map_update_elem(&stacks, &key, &scratch->chunks[i], BPF_ANY)) return false;
  }
  count(STPROF_STACKS_NEW);
  send_event(STPROF_EVENT_NEW_STACK, pid, 0, 0, stack_id);
  *recent = stack_id;
  return true;
}

static __always_inline bool add_to_map(void *counts_map, const struct stprof_count_key *key,
                                       __u64 amount) {
  __u64 *value = bpf_map_lookup_elem(counts_map, key);
  if (value) {
    __sync_fetch_and_add(value, amount);
    return true;
  }
  if (!bpf_map_update_elem(counts_map, key, &amount, BPF_NOEXIST)) return true;
  value = bpf_map_lookup_elem(counts_map, key); /* lost a race with another CPU */
  if (!value) return false;
  __sync_fetch_and_add(value, amount);
  return true;
}

/* Adds `amount` to the key's count in the counts map the sampler writes now (see
 * stprof_control); false if that map is full. */
static __always_inline bool add_count(const struct stprof_count_key *key, __u64 amount) {
  return *(volatile __u32 *)&control.active_counts ? add_to_map(&counts_1, key, amount)
                                                   : add_to_map(&counts_0, key, amount);
}

#endif /* STPROF_STACKS_BPF_H */
