/* Maps and globals shared by the sampler and the lifecycle tracepoints. BPF-only; userspace
 * reaches them through the skeleton. Every definition is __weak: sample.bpf.c and procs.bpf.c
 * both include this header and are linked into one object (bpftool gen object), where the
 * identical weak definitions become one map. */
#ifndef STPROF_MAPS_BPF_H
#define STPROF_MAPS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "stprof_abi.h"

/* Registered Python processes: host tgid -> where to find things. Written by userspace and the
 * fork program; the sampler only sets STPROF_PROCESS_SAMPLED. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 4096);
  __type(key, __u32);
  __type(value, struct stprof_process);
} processes SEC(".maps") __weak;

/* What the sampler found for a thread, kept with it (task storage, freed with the task): a copy
 * of its process's entry, true while the process's PID group has generation `generation` (see
 * stprof_pid_group), and the PyThreadState found for it last, re-validated on every sample (see
 * find_thread_state). One lookup instead of a hash lookup of each. */
struct stprof_task_cache {
  __u64 generation; /* 0: no copy yet */
  struct stprof_process process;
  __u64 process_id; /* tgid and the process's start time, never reused: taken with the copy */
  __u64 tstate; /* 0: none found yet */
  __u64 fsbase; /* the FS base it was found for */
  /* Wall mode: when the thread left the CPU (bpf_ktime_get_ns), with the stack it left with and
   * why (enum stprof_sample_kind); 0: on the CPU, or nothing recorded. Taken (swapped to 0) by
   * whoever counts the interval: the switch-in, or the flush at the end. See offcpu.bpf.c. */
  __u64 off_cpu_since;
  __u64 off_cpu_stack;
  __u32 off_cpu_kind;
  __u32 pad;
};
struct {
  __uint(type, BPF_MAP_TYPE_TASK_STORAGE);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, int);
  __type(value, struct stprof_task_cache);
} task_caches SEC(".maps") __weak;

/* Interned stacks, as chunks (see stprof_chunk_key). Userspace copies and deletes them. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 32768);
  __type(key, struct stprof_chunk_key);
  __type(value, struct stprof_chunk);
} stacks SEC(".maps") __weak;

/* Sample counts; the sampler writes counts_<control.active_counts>, userspace drains the other.
 * Userspace sizes them before load, from the rate and the drain interval. */
#define STPROF_COUNTS_MAP                       \
  struct {                                      \
    __uint(type, BPF_MAP_TYPE_HASH);            \
    __uint(max_entries, 65536);                 \
    __type(key, struct stprof_count_key);       \
    __type(value, __u64);                       \
  }
STPROF_COUNTS_MAP counts_0 SEC(".maps") __weak;
STPROF_COUNTS_MAP counts_1 SEC(".maps") __weak;

/* Fingerprints of the code objects read lately, in sets of STPROF_CODE_MEMO_WAYS chosen by
 * address, a cache line each. An entry is valid while the sampler's walks carry its tag (see
 * code_memo_tag in frames.bpf.h). Set-associative because a stack's code objects meet again walk
 * after walk: a direct-mapped memo of 1024 slots can put two of a 53-frame stack's objects in
 * one slot (birthday odds about 3 in 4), each then evicting the other on every walk. 2048 sets
 * (128 KB per CPU) hold a stack of 2040 distinct functions, or the stacks of many processes
 * sampled on one CPU, with few sets overflowing: with 512, depth 1000 cost 37.6 us, now 15.3. */
#define STPROF_CODE_MEMO_SET_BITS 11
#define STPROF_CODE_MEMO_SETS (1u << STPROF_CODE_MEMO_SET_BITS)
#define STPROF_CODE_MEMO_WALK_SETS 64 /* the sets used under a walk's own tag (way 0 only) */
#define STPROF_CODE_MEMO_WAYS 3
/* A set whose ways all hold valid fingerprints takes a new one on one miss in this many. */
#define STPROF_CODE_MEMO_OVERFLOW_ADMIT 8
struct stprof_code_memo_set {
  __u64 code[STPROF_CODE_MEMO_WAYS];
  __u64 tag[STPROF_CODE_MEMO_WAYS];
  __u32 fingerprint[STPROF_CODE_MEMO_WAYS];
  __u32 overflows; /* misses that found no way with a stale tag */
} __attribute__((aligned(64)));

/* Stack ids this CPU interned or found in `stacks` lately, direct-mapped (see intern_stack). */
#define STPROF_INTERNED_MEMO 64

/* Bytes of a 3.11+ thread's frame stack read at once: one page (see frame_window). */
#define STPROF_FRAME_BLOCK 4096

/* The stack being built, one slot per CPU (a per-CPU array value cannot be this large), and one
 * more for the seeding iterator (seed.bpf.c), which sleeps and so cannot own a CPU's slot.
 * max_entries is set to the number of possible CPUs + 1 by userspace before load. */
struct stprof_scratch {
  struct stprof_chunk chunks[STPROF_MAX_CHUNKS];
  struct stprof_code_memo_set memo[STPROF_CODE_MEMO_SETS];
  __u64 walks; /* walks on this CPU without a code epoch so far: the latest one's tag */
  __u64 interned[STPROF_INTERNED_MEMO];
  __u8 block[STPROF_FRAME_BLOCK + STPROF_FRAME_WINDOW]; /* frames: see frame_window */
  __u8 tstate[STPROF_TSTATE_WINDOW]; /* see read_tstate_window */
  __u8 code[STPROF_CODE_WINDOW];
  __u8 name[STPROF_NAME_WINDOW + 8]; /* slack: see stprof_fingerprint */
  __u64 kernel[STPROF_MAX_KERNEL_FRAMES]; /* --kernel: the stack's kernel frames, leaf first, */
  __u32 kernel_depth;                     /* this many (see kernel_stack.bpf.h) */
};
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct stprof_scratch);
} scratch_stacks SEC(".maps") __weak;

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, STPROF_NUM_COUNTERS);
  __type(key, __u32);
  __type(value, __u64);
} counters SEC(".maps") __weak;

/* Processes whose new children are registered at fork (--pid-tree roots and their descendants,
 * and every registered Python process): host tgid -> 1. Written by userspace and at fork. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 16384);
  __type(key, __u32);
  __type(value, __u8);
} followed SEC(".maps") __weak;

/* Executables that hold a CPython runtime (static interpreters, such as Debian's), analysed by
 * userspace in a process that runs one: the entry of such a process, with
 * interpreters_head_addr and gil_addr relative to where the kernel loaded the executable's
 * text (mm->start_code), and flags to keep (STPROF_PROCESS_CODE_FREES when a uprobe counts the
 * frees of every process of the file). Lets the exec program register a process that execs one
 * before it runs, however late userspace is (see procs.bpf.c). */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 64);
  __type(key, struct stprof_image_key);
  __type(value, struct stprof_process);
} python_images SEC(".maps") __weak;

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 256 * 1024);
} events SEC(".maps") __weak;

/* The .bss globals, defined in sample.bpf.c: a __weak definition in each object would leave the
 * linked .bss with the space of both (4 MB instead of 2, which libbpf copies in at load). */
extern struct stprof_control control;
/* The registry (stprof_pid_group): the sampler's first test. One load decides a sample of any
 * other program, where a hash lookup cost it about 70 ns more. A stale set bit only means a hash
 * lookup that misses. */
extern struct stprof_pid_group pid_groups[STPROF_PID_GROUPS];
/* Bit g: pid_groups[g].ran may have bits set (see stprof_pid_group). */
extern __u64 ran_groups[STPROF_PID_GROUPS / 64];
/* Set before load: send an event for every exec on the host (--all-python and the filters that
 * match new processes); otherwise only for registered and followed processes. */
const volatile bool report_every_exec __weak = false;
/* Set before load: which processes the exec program registers (enum stprof_exec_registration). */
const volatile __u32 register_at_exec __weak = STPROF_REGISTER_AT_EXEC_NONE;
/* Set before load (--gil): record a stack only while its thread holds the GIL. */
const volatile bool gil_only __weak = false;
/* Set before load (--kernel): every stack starts with the thread's kernel frames. */
const volatile bool kernel_stacks __weak = false;

static __always_inline __attribute__((unused)) void count_n(enum stprof_counter id, __u64 n) {
  __u32 key = id;
  __u64 *value = bpf_map_lookup_elem(&counters, &key);
  if (value) *value += n;
}

static __always_inline __attribute__((unused)) void count(enum stprof_counter id) {
  count_n(id, 1);
}

static __always_inline __attribute__((unused)) struct stprof_pid_group *pid_group(__u32 pid) {
  return &pid_groups[stprof_pid_group_index(pid)];
}

/* Marks pid, unregistered, as having run since userspace last looked (see stprof_pid_group).
 * Only its first sample since then writes: the words stay shared in every CPU's cache. Kernel
 * threads (the idle task too) have no user memory to load libpython into: never marked. */
static __always_inline __attribute__((unused)) void mark_ran(struct stprof_pid_group *group,
                                                             __u32 pid) {
  __u64 bit = stprof_pid_bit(pid);
  if (group->ran & bit) return;
  if (!bpf_get_current_task_btf()->mm) return;
  __sync_fetch_and_or(&group->ran, bit);
  __u32 index = stprof_pid_group_index(pid);
  __sync_fetch_and_or(&ran_groups[(index / 64) & (STPROF_PID_GROUPS / 64 - 1)], 1ULL << (index % 64));
}

/* Inserts pid into `processes` (and its bit) with a copy of `process` whose flags are `flags`
 * (never STPROF_PROCESS_SAMPLED: not sampled yet); false if the map refused. */
static __always_inline __attribute__((unused)) bool register_process(
    __u32 pid, const struct stprof_process *process, __u8 flags) {
  struct stprof_process entry = *process;
  entry.flags = flags & ~STPROF_PROCESS_SAMPLED;
  if (bpf_map_update_elem(&processes, &pid, &entry, BPF_ANY)) return false;
  stprof_registry_set(pid_group(pid), pid);
  return true;
}

/* Removes pid from `processes` (and its bit); whether it was there. */
static __always_inline __attribute__((unused)) bool unregister_process(__u32 pid) {
  struct stprof_pid_group *group = pid_group(pid);
  stprof_registry_clear(group, pid);
  bool removed = bpf_map_delete_elem(&processes, &pid) == 0;
  stprof_registry_changed(group);
  return removed;
}

#endif /* STPROF_MAPS_BPF_H */
