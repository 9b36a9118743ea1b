/* Walking a thread's Python frame chain, leaf first, into the per-CPU scratch stack.
 *
 * Probe reads: of each frame's window (code, caller, instruction, owner fields), except that
 * 3.11+ callers in the data stack come a page at a time (see frame_window); per code object not
 * in scratch->memo (see code_memo_tag), one of its fingerprint window and, before 3.12, one of
 * its name. Everything version-specific comes from struct stprof_process; there is no
 * per-version branch here. */
#ifndef STPROF_FRAMES_BPF_H
#define STPROF_FRAMES_BPF_H

#include <bpf/bpf_core_read.h>

#include "maps.bpf.h"
#include "thread_state.bpf.h"

struct frame_walk {
  const struct stprof_process *proc;
  struct stprof_scratch *scratch;
  __u64 frame; /* next frame to visit; 0 at the end of the chain */
  __u64 hash;
  __u32 depth;
  __u16 flags;
  __u64 memo_tag; /* under which scratch->memo holds fingerprints valid now: code_memo_tag */
  __u32 code_reads; /* code objects read, not found in scratch->memo (STPROF_CODE_READS) */
  __u64 block_start, block_end; /* what scratch->block holds; empty at first */
  __u64 last_frame;              /* the frame visited last; 0 at first */
};

static __always_inline __u64 window_u64(const __u8 *window, __u32 offset) {
  if (offset > STPROF_FRAME_WINDOW - sizeof(__u64)) return 0;
  return *(const __u64 *)(window + offset);
}

static __always_inline __s32 window_s32(const __u8 *window, __u32 offset) {
  if (offset > STPROF_FRAME_WINDOW - sizeof(__s32)) return 0;
  return *(const __s32 *)(window + offset);
}

/* Code-unit index of the frame's current instruction, per stprof_instr_kind. */
static __always_inline __s32 instruction_index(const struct stprof_process *proc,
                                               const __u8 *window, __u64 code) {
  switch (proc->instr_kind) {
    case STPROF_INSTR_LASTI_BYTES: {
      __s32 lasti = window_s32(window, proc->frame_instr);
      return lasti < 0 ? -1 : (__s32)((__u32)lasti >> 1);
    }
    case STPROF_INSTR_LASTI_UNITS:
      return window_s32(window, proc->frame_instr);
    default: {
      __s64 bytes = (__s64)(window_u64(window, proc->frame_instr) - (code + proc->code_first_instr));
      if (bytes < 0) return -1;
      if (bytes > 0x7ffffffe) return 0x7fffffff;
      return (__s32)((__u64)bytes >> 1);
    }
  }
}

/* The tag of the fingerprints that hold for this walk of the thread whose window is in
 * scratch->tstate and whose process is in `group` (see code_fingerprint).
 * Within one walk an address names one code object: every frame holds a reference to its code
 * object, and the thread is stopped while it is sampled. So by default each walk has a tag of its
 * own, a serial below 2^63. When the process has a code epoch, the interpreter's (stprof_process)
 * or the profiler's count of its freed code objects (STPROF_PROCESS_CODE_FREES), no code object
 * can have taken another's address while the epoch stands still, so the tag is the process
 * (stprof_task_cache.process_id) with the epoch's address (0 for the profiler's) and value, top
 * bit set, and fingerprints carry over from walk to walk, across the process's threads, until it
 * moves. */
static __always_inline __u64 code_memo_tag(const struct stprof_task_cache *cache,
                                           struct stprof_scratch *scratch,
                                           const struct stprof_pid_group *group) {
  const struct stprof_process *proc = &cache->process;
  __u64 epoch_addr = 0, epoch = 0;
  if (proc->flags & STPROF_PROCESS_CODE_FREES) {
    epoch = *(const volatile __u64 *)&group->code_frees; /* the profiler's: address 0 */
  } else {
    __u32 size = proc->code_epoch_size == 4 ? 4 : 8;
    epoch_addr = code_epoch_addr(proc, scratch);
    if (!epoch_addr || STPROF_READ_USER(&epoch, size, (const void *)epoch_addr) ||
        (size == 4 && epoch == 0)) { /* an exhausted 4-byte counter stays at 0 */
      return ++scratch->walks;
    }
  }
  return stprof_mix64(stprof_mix64(cache->process_id, epoch_addr), epoch) | (1ULL << 63);
}

/* Reads the fingerprint of `code` (see stprof_fingerprint): its window and, without a serial in
 * it, its name; -1 if the window faulted. A global function, verified once on its own. */
STPROF_SUBPROG __s64 STPROF_SUBPROG_NAME(read_code_fingerprint)(struct stprof_scratch *scratch,
                                       const struct stprof_process *proc, __u64 code) {
  if (!scratch || !proc) return -1; /* a global function's pointer arguments may be NULL */
  __u32 code_size = proc->code_fingerprint_size;
  if (code_size > STPROF_CODE_WINDOW) code_size = STPROF_CODE_WINDOW;
  const void *window = (const void *)(code + proc->code_fingerprint);
  if (STPROF_READ_USER(scratch->code, code_size, window)) return -1;
  /* The name's pointer is in the window: userspace guarantees it. */
  __u32 name_size = 0;
  if (!stprof_code_has_serial(scratch->code, proc)) {
    __u32 name_at = (__u32)proc->code_name - proc->code_fingerprint;
    __u64 name = 0;
    if (name_at <= STPROF_CODE_WINDOW - 8) __builtin_memcpy(&name, scratch->code + name_at, 8);
    name_size = stprof_name_window_size(proc);
    const void *name_window = (const void *)(name + proc->str_length);
    if (!name || STPROF_READ_USER(scratch->name, name_size, name_window)) name_size = 0;
  }
  return stprof_fingerprint(scratch->code, scratch->name, name_size, proc);
}

/* Set in code_fingerprint's result when the code object was read, not found in the memo. */
#define STPROF_FINGERPRINT_READ (1LL << 32)

/* The fingerprint of `code`, with STPROF_FINGERPRINT_READ if it was read; -1 if its window
 * faulted. A code object whose fingerprint scratch->memo holds under `tag` (see code_memo_tag)
 * is not read again; one that is read is kept in a way of its set whose tag is stale. When
 * every way holds a valid fingerprint, the set has more code objects than ways: replacing one
 * on every miss would make a stack that cycles through them (walk after walk, in the same
 * order) miss every one of them each time, so only one miss in STPROF_CODE_MEMO_OVERFLOW_ADMIT
 * replaces a way (each in turn): the others stay hits, and a new working set still gets in.
 * A walk's own tag (no code epoch) only needs the memo for the walk's
 * repeats: it uses way 0 of the first sets, which stay in the CPU's cache (choosing among ways
 * cost 3.11 about 4 ns a frame). With a code epoch, every set and way.
 * A global function: the verifier checks it once on its own, not along every path of the walk
 * (inlined, it tripled the instructions verified and the profiler's start-up). */
STPROF_SUBPROG __s64 STPROF_SUBPROG_NAME(code_fingerprint)(struct stprof_scratch *scratch, const struct stprof_process *proc,
                                  __u64 code, __u64 tag) {
  if (!scratch) return -1; /* a global function's pointer arguments may be NULL */
  bool epoch = tag >> 63;
  __u32 sets = epoch ? STPROF_CODE_MEMO_SETS : STPROF_CODE_MEMO_WALK_SETS;
  /* Fibonacci hashing: a module's code objects, allocated one after another, spread over the
   * sets as if at random. (code >> 4) ^ (code >> 13) crowded them: a stack of 2040 distinct
   * functions read 15-121 of them per walk from overfull sets, now 4-5. */
  __u64 index = ((code >> 4) * 0x9E3779B97F4A7C15ULL) >> (64 - STPROF_CODE_MEMO_SET_BITS);
  struct stprof_code_memo_set *set = &scratch->memo[index & (sets - 1) & (STPROF_CODE_MEMO_SETS - 1)];
  __u32 ways = epoch ? STPROF_CODE_MEMO_WAYS : 1;
  for (__u32 way = 0; way < STPROF_CODE_MEMO_WAYS && way < ways; way++) {
    if (set->tag[way] == tag && set->code[way] == code) return set->fingerprint[way];
  }
  __s64 fingerprint = STPROF_SUBPROG_NAME(read_code_fingerprint)(scratch, proc, code);
  if (fingerprint < 0) return -1;
  __u64 victim = 0; /* 64 bits: the bound checked below is the one used */
  if (epoch) {
    victim = STPROF_CODE_MEMO_WAYS;
    for (__u32 way = STPROF_CODE_MEMO_WAYS; way-- > 0;) {
      if (set->tag[way] != tag) victim = way;
    }
    if (victim == STPROF_CODE_MEMO_WAYS) {
      __u32 overflows = set->overflows++;
      if (overflows % STPROF_CODE_MEMO_OVERFLOW_ADMIT) return fingerprint | STPROF_FINGERPRINT_READ;
      victim = overflows / STPROF_CODE_MEMO_OVERFLOW_ADMIT % STPROF_CODE_MEMO_WAYS;
    }
  }
  barrier_var(victim); /* keeps the bound below for the verifier, which cannot bound a `%` */
  if (victim >= STPROF_CODE_MEMO_WAYS) victim = 0;
  set->code[victim] = code;
  set->fingerprint[victim] = (__u32)fingerprint;
  set->tag[victim] = tag;
  return fingerprint | STPROF_FINGERPRINT_READ;
}

/* The frame's window (proc->frame_window bytes at `frame`), or NULL if it faulted.
 * From 3.11 on, a thread's frames live one after another in its data stack, callers below
 * callees (generator and coroutine frames live in their objects, anywhere). A caller found just
 * below the frame visited before it is in the data stack: its window is read together with
 * everything below it on its page, so that one read serves the next callers too. The block
 * never starts below the frame's own page, which is mapped, so it faults no more than reading
 * the frame alone would. Any other frame is read alone (into the block too). */
static __always_inline const __u8 *frame_window(struct frame_walk *walk, __u64 frame,
                                                __u32 window_size) {
  __u64 callee = walk->last_frame;
  walk->last_frame = frame;
  if (frame < walk->block_start || frame + window_size > walk->block_end) {
    __u64 start = frame;
    /* STPROF_INSTR_POINTER: 3.11+, whose frames are in a data stack. */
    if (walk->proc->instr_kind == STPROF_INSTR_POINTER && frame < callee &&
        callee - frame <= STPROF_FRAME_BLOCK) {
      start = frame & ~(__u64)(STPROF_FRAME_BLOCK - 1);
      if (frame + window_size - start > STPROF_FRAME_BLOCK) {
        start = frame + window_size - STPROF_FRAME_BLOCK;
      }
    }
    __u64 size = frame + window_size - start;
    if (size > STPROF_FRAME_BLOCK ||
        STPROF_READ_USER(walk->scratch->block, size, (const void *)start)) {
      return NULL;
    }
    walk->block_start = start;
    walk->block_end = start + size;
  }
  /* The window starts below the block's end minus the window, so the offset is below
   * STPROF_FRAME_BLOCK: masking it changes nothing, and lets the verifier bound the pointer. */
  return walk->scratch->block + ((frame - walk->block_start) & (STPROF_FRAME_BLOCK - 1));
}

static long frame_walk_step(__u64 index, struct frame_walk *walk) {
  const struct stprof_process *proc = walk->proc;
  struct stprof_scratch *scratch = walk->scratch;
  __u64 frame = walk->frame;
  if (!frame) return 1;
  if (walk->depth >= STPROF_MAX_DEPTH) {
    walk->flags |= STACK_FLAG_TRUNCATED;
    count(STPROF_STACK_TRUNCATED);
    return 1;
  }

  __u32 window_size = proc->frame_window;
  if (window_size > STPROF_FRAME_WINDOW) window_size = STPROF_FRAME_WINDOW;
  const __u8 *window = frame_window(walk, frame, window_size);
  if (!window) {
    walk->flags |= STACK_FLAG_PARTIAL;
    count(STPROF_FRAME_READ_FAULT);
    return 1;
  }
  __u64 previous = window_u64(window, proc->frame_previous);
  if (previous == frame) {
    walk->flags |= STACK_FLAG_PARTIAL;
    count(STPROF_FRAME_LOOP);
    return 1;
  }
  walk->frame = previous;

  __u64 code = window_u64(window, proc->frame_code) & ~proc->code_pointer_mask;
  if (proc->frame_owner >= 0 && proc->frame_owner < STPROF_FRAME_WINDOW &&
      window[proc->frame_owner & (STPROF_FRAME_WINDOW - 1)] >= proc->owner_first_non_python) {
    count(STPROF_FRAMES_SKIPPED);
    return 0;
  }
  if (!code) {
    count(STPROF_FRAMES_SKIPPED);
    return 0;
  }

  __s64 fingerprint = STPROF_SUBPROG_NAME(code_fingerprint)(scratch, proc, code, walk->memo_tag);
  if (fingerprint < 0) {
    walk->flags |= STACK_FLAG_PARTIAL;
    count(STPROF_FRAME_READ_FAULT);
    return 1;
  }

  __u32 depth = walk->depth & (STPROF_MAX_DEPTH - 1);
  struct stprof_frame *out =
      &scratch->chunks[depth / STPROF_CHUNK_FRAMES].frames[depth % STPROF_CHUNK_FRAMES];
  out->code = code;
  out->instr = instruction_index(proc, window, code);
  out->fingerprint = (__u32)fingerprint;
  walk->code_reads += fingerprint >> 32;
  walk->hash = stprof_hash_frame(walk->hash, out);
  walk->depth++;
  return 0;
}

#endif /* STPROF_FRAMES_BPF_H */
