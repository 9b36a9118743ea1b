/* Walking a thread's Python frame chain, leaf first, into the per-CPU scratch stack.
 *
 * Per frame: one probe read of the frame's window (code, caller, instruction, owner fields); per
 * code object, one of its fingerprint window and, before 3.12, one of its name. Everything
 * version-specific comes from struct stprof_process; there is no per-version branch here. */
#ifndef STPROF_FRAMES_BPF_H
#define STPROF_FRAMES_BPF_H

#include "maps.bpf.h"

struct frame_walk {
  const struct stprof_process *proc;
  struct stprof_scratch *scratch;
  __u64 frame; /* next frame to visit; 0 at the end of the chain */
  __u64 hash;
  __u32 depth;
  __u16 flags;
  __u64 serial; /* this walk's, for scratch->memo; 1 and up */
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

/* The fingerprint of `code` (see stprof_fingerprint) into *fingerprint; false if it faulted.
 * A code object met again in the same walk (recursion, a wrapper at several levels) is not read
 * again: every frame holds a reference to its code object, and the thread is stopped while it
 * is sampled, so during one walk an address names one code object. */
static __always_inline bool code_fingerprint(struct frame_walk *walk, __u64 code,
                                             __u32 *fingerprint) {
  const struct stprof_process *proc = walk->proc;
  struct stprof_scratch *scratch = walk->scratch;
  struct stprof_code_memo *memo =
      &scratch->memo[((code >> 4) ^ (code >> 12)) & (STPROF_CODE_MEMO - 1)];
  if (memo->walk == walk->serial && memo->code == code) {
    *fingerprint = memo->fingerprint;
    return true;
  }
  __u32 code_size = proc->code_fingerprint_size;
  if (code_size > STPROF_CODE_WINDOW) code_size = STPROF_CODE_WINDOW;
  if (bpf_probe_read_user(scratch->code, code_size, (const void *)(code + proc->code_fingerprint))) {
    return false;
  }
  /* Without a serial in the window, the name's str is read too (its pointer is in the window,
   * userspace guarantees it). */
  __u32 name_size = 0;
  if (!stprof_code_has_serial(scratch->code, proc)) {
    __u32 name_at = (__u32)proc->code_name - proc->code_fingerprint;
    __u64 name = 0;
    if (name_at <= STPROF_CODE_WINDOW - 8) __builtin_memcpy(&name, scratch->code + name_at, 8);
    name_size = stprof_name_window_size(proc);
    const void *name_window = (const void *)(name + proc->str_length);
    if (!name || bpf_probe_read_user(scratch->name, name_size, name_window)) name_size = 0;
  }
  *fingerprint = stprof_fingerprint(scratch->code, scratch->name, name_size, proc);
  memo->code = code;
  memo->fingerprint = *fingerprint;
  memo->walk = walk->serial;
  return true;
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
  if (bpf_probe_read_user(scratch->frame, window_size, (const void *)frame)) {
    walk->flags |= STACK_FLAG_PARTIAL;
    count(STPROF_FRAME_READ_FAULT);
    return 1;
  }
  __u64 previous = window_u64(scratch->frame, proc->frame_previous);
  if (previous == frame) {
    walk->flags |= STACK_FLAG_PARTIAL;
    count(STPROF_FRAME_LOOP);
    return 1;
  }
  walk->frame = previous;

  __u64 code = window_u64(scratch->frame, proc->frame_code) & ~proc->code_pointer_mask;
  if (proc->frame_owner >= 0 && proc->frame_owner < STPROF_FRAME_WINDOW &&
      scratch->frame[proc->frame_owner & (STPROF_FRAME_WINDOW - 1)] >= proc->owner_first_non_python) {
    count(STPROF_FRAMES_SKIPPED);
    return 0;
  }
  if (!code) {
    count(STPROF_FRAMES_SKIPPED);
    return 0;
  }

  __u32 fingerprint = 0;
  if (!code_fingerprint(walk, code, &fingerprint)) {
    walk->flags |= STACK_FLAG_PARTIAL;
    count(STPROF_FRAME_READ_FAULT);
    return 1;
  }

  __u32 depth = walk->depth & (STPROF_MAX_DEPTH - 1);
  struct stprof_frame *out =
      &scratch->chunks[depth / STPROF_CHUNK_FRAMES].frames[depth % STPROF_CHUNK_FRAMES];
  out->code = code;
  out->instr = instruction_index(proc, scratch->frame, code);
  out->fingerprint = fingerprint;
  walk->hash = stprof_hash_frame(walk->hash, out);
  walk->depth++;
  return 0;
}

#endif /* STPROF_FRAMES_BPF_H */
