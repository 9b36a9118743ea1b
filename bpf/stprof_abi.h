/* The one header both sides include: everything that crosses the kernel/user boundary.
 *
 * Included by the BPF programs (after vmlinux.h) and by C++ userspace (after <linux/types.h>).
 * Only fixed-width __u64-style types, explicit padding, and sizes pinned by static asserts.
 */
#ifndef STPROF_ABI_H
#define STPROF_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Deepest Python stack recorded; deeper stacks are kept leaf-first up to this depth and flagged
 * STACK_FLAG_TRUNCATED. The walk runs in bpf_loop, so this is not bounded by the verifier. */
#define STPROF_MAX_DEPTH 2048
/* Frames per stack chunk: stacks are stored as chunks in the `stacks` map (a value of 2048 frames
 * would waste memory on the usual shallow stack). */
#define STPROF_CHUNK_FRAMES 32
#define STPROF_MAX_CHUNKS (STPROF_MAX_DEPTH / STPROF_CHUNK_FRAMES)
/* Interpreters and thread states visited when looking up the thread state of a thread. */
#define STPROF_MAX_INTERPRETERS 8
#define STPROF_MAX_THREADS 1024
/* Largest byte windows read per frame in one probe read each: from the frame, from the code
 * object, and from the code's name (a str). */
#define STPROF_FRAME_WINDOW 128
#define STPROF_CODE_WINDOW 128
#define STPROF_NAME_WINDOW 64
/* Largest part of a PyThreadState read per sample, in one probe read: see stprof_tstate_window. */
#define STPROF_TSTATE_WINDOW 192
/* Groups of 64 PIDs in the registry (stprof_pid_group), up to the kernel's PID_MAX_LIMIT (2^22). */
#define STPROF_PID_GROUPS ((1u << 22) / 64)
/* Characters of an ASCII name that go into a code object's fingerprint. */
#define STPROF_NAME_CHARS 32

/* Counters the BPF programs bump, per CPU. Every early exit of a perf sample has exactly one id
 * here. Every perf sample ends in exactly one of the outcomes SAMPLES_RECORDED ..
 * EXIT_COUNT_MAP_FULL (kept contiguous), so SAMPLES is not counted in the kernel: userspace sums
 * the outcomes. Wall mode's switch-outs have outcomes of their own (OFFCPU_*); the counters after
 * EXIT_COUNT_MAP_FULL count events of both kinds of walk.
 * X(id, description): the id becomes STPROF_<id> in C and the description is what `-v` prints. */
#define STPROF_COUNTERS(X)                                                              \
  X(SAMPLES, "perf events handled (the sum of the outcomes below)")                     \
  X(SAMPLES_RECORDED, "Python stacks counted")                                          \
  X(EXIT_NOT_PYTHON, "task is not a registered Python process")                         \
  X(EXIT_NO_FSBASE, "task has no thread pointer (FS base)")                             \
  X(EXIT_NO_THREAD_STATE, "no PyThreadState matches the thread (not a Python thread)") \
  X(EXIT_THREAD_STATE_FAULT, "reading the interpreter/thread list faulted")             \
  X(EXIT_NO_FRAME, "thread runs no Python code right now (no current frame)")           \
  X(EXIT_NOT_GIL_HOLDER, "--gil: the thread does not hold the GIL")                     \
  X(EXIT_NO_SCRATCH, "per-CPU scratch buffer missing")                                  \
  X(EXIT_NO_TASK_CACHE, "per-thread cache not allocated (out of memory, or in use on this CPU)") \
  X(EXIT_STACK_MAP_FULL, "stacks map full: stack dropped")                              \
  X(EXIT_COUNT_MAP_FULL, "counts map full: sample dropped")                             \
  X(THREAD_CACHE_HIT, "thread state found in cache")                                    \
  X(THREAD_CACHE_MISS, "thread state looked up by walking the thread list")             \
  X(THREAD_LIST_TRUNCATED, "thread list longer than the walk limit")                    \
  X(FRAME_READ_FAULT, "frame read faulted: stack kept up to there (STACK_FLAG_PARTIAL)") \
  X(FRAME_LOOP, "frame chain pointed back at itself: stack cut (STACK_FLAG_PARTIAL)")    \
  X(FRAMES_SKIPPED, "non-Python frames skipped (shims, C-stack owners)")                \
  X(STACK_TRUNCATED, "stack deeper than STPROF_MAX_DEPTH (STACK_FLAG_TRUNCATED)")       \
  X(KERNEL_STACK_FAULT, "--kernel: the kernel stack could not be read (the stack is kept without it)") \
  X(STACKS_NEW, "new stacks interned")                                                  \
  X(CODE_READS, "code objects read (the rest were in the per-CPU memo: see code_memo_tag)") \
  X(EVENTS_LOST, "process events dropped: ring buffer full (the periodic rescan catches up)") \
  X(FORKS_FOLLOWED, "child processes registered at fork, before their first instruction") \
  X(EXECS_REGISTERED, "processes registered at exec, before their first instruction (an interpreter executable already analysed)") \
  X(OFFCPU_RECORDED, "wall mode: switch-outs of Python threads recorded with their stack")  \
  X(OFFCPU_NO_STACK, "wall mode: switch-outs of registered threads with no Python stack to record") \
  X(OFFCPU_SEEDED, "wall mode: threads found off-CPU at registration, recorded with their stack") \
  X(OFFCPU_COUNTED, "wall mode: off-CPU times counted (at switch-in, and at each drain for threads still off the CPU)") \
  X(OFFCPU_LOST, "wall mode: off-CPU intervals dropped: counts map full")

enum stprof_counter {
#define STPROF_COUNTER_ENUM(id, description) STPROF_##id,
  STPROF_COUNTERS(STPROF_COUNTER_ENUM)
#undef STPROF_COUNTER_ENUM
  STPROF_NUM_COUNTERS
};

/* How a frame records its current instruction (see the per-version table in userspace). */
enum stprof_instr_kind {
  /* 3.8/3.9 f_lasti: int, byte offset of the last instruction (-1 before the first). */
  STPROF_INSTR_LASTI_BYTES = 0,
  /* 3.10 f_lasti: int, index of the last instruction in 2-byte code units. */
  STPROF_INSTR_LASTI_UNITS = 1,
  /* 3.11+ prev_instr/instr_ptr: pointer into the code object's co_code_adaptive. */
  STPROF_INSTR_POINTER = 2,
};

/* Where the sampler finds things in one process. Written by userspace (discover/) into the
 * `processes` map, keyed by host tgid; read by the sampler on every sample of that process.
 * All offsets are bytes from the start of the named CPython struct. */
struct stprof_process {
  /* Absolute address of _PyRuntime.interpreters.head in the target. */
  __u64 interpreters_head_addr;
  /* Bits cleared from a frame's code pointer before use (3.14+ tags _PyStackRef). */
  __u64 code_pointer_mask;

  __u16 interp_next;            /* PyInterpreterState.next */
  __u16 interp_threads_head;    /* PyInterpreterState.threads.head */
  __u16 tstate_next;            /* PyThreadState.next */
  __u16 tstate_thread_id;       /* PyThreadState.thread_id (== pthread_self() == FS base) */
  __u16 tstate_frame;           /* PyThreadState field holding the frame (or the _PyCFrame*) */
  __s16 cframe_current_frame;   /* _PyCFrame.current_frame, or -1 when tstate_frame is the frame */

  __u16 frame_code;             /* frame's code object pointer (f_code / f_executable) */
  __u16 frame_previous;         /* frame's caller (f_back / previous) */
  __u16 frame_instr;            /* f_lasti / prev_instr / instr_ptr, per instr_kind */
  __s16 frame_owner;            /* _PyInterpreterFrame.owner (a char), or -1 when absent */
  __u16 frame_window;           /* bytes read per frame: max(field offset + size) <= FRAME_WINDOW */
  __u8 instr_kind;              /* enum stprof_instr_kind */
  /* Frames whose owner is >= this are not Python code (3.12+ C-stack shims); 255: none. */
  __u8 owner_first_non_python;

  __u16 code_first_instr;       /* offset of co_code_adaptive (STPROF_INSTR_POINTER only) */
  /* The code window read per frame for the fingerprint (see stprof_fingerprint). */
  __u16 code_fingerprint;       /* its start in PyCodeObject */
  __u16 code_fingerprint_size;  /* its size: a multiple of 8, <= STPROF_CODE_WINDOW */
  __u16 code_fingerprint_mask;  /* bit i: bytes 8i..8i+7 of it never change, and are hashed */
  __u16 code_name;              /* co_qualname (co_name before 3.11): in the window, 8-aligned */
  /* The name's str object: PyASCIIObject.length, .state, and where compact ASCII data starts. */
  __u16 str_length;
  __u16 str_state;
  __u16 str_ascii_data;
  /* A 32-bit serial unique to each code object (3.12+ co_version), inside the window and hashed
   * with it; 0: this version has none. See stprof_code_has_serial. */
  __u16 code_serial;
  /* The code epoch: a counter in the thread's PyInterpreterState that moves before any code
   * object can take another's address, so that fingerprints found in one walk hold in the next
   * while it stands still (see code_memo_tag in frames.bpf.h). 3.13: func_state.next_version,
   * the 4-byte counter co_version is drawn from (0 once exhausted: then it no longer moves);
   * 3.14+: _code_object_generation, 8 bytes, bumped by every code object freed. */
  __u16 tstate_interp;          /* PyThreadState.interp */
  __u16 interp_code_epoch;      /* the counter in PyInterpreterState; 0: this version has none */
  __u8 code_epoch_size;         /* its size: 4 or 8 */
  __u8 flags; /* enum stprof_process_flags */
  /* The main interpreter's GIL, struct _gil_runtime_state (--gil, and the [off-CPU: GIL]
   * reason): its absolute address in the target (0: unknown), its
   * size in bytes (its mutex and condition variables are inside: a futex wait on an address in
   * it is a wait for the GIL), and where in it `locked` (an int) and `last_holder` (the
   * PyThreadState* that took it last) are. Held by tstate T: locked != 0 && last_holder == T. */
  __u64 gil_addr;
  __u16 gil_size;
  __u16 gil_locked;
  __u16 gil_last_holder;
  /* Where in it the owner's TID of its mutex is (glibc's pthread_mutex_t.__data.__owner): a
   * thread preempted while it owns the mutex is inside take_gil or drop_gil. 0: unknown. */
  __u16 gil_mutex_owner;
  /* STPROF_PROCESS_FREE_THREADED: where in it `enabled` (an int) is. */
  __u16 gil_enabled;
  __u16 pad[3];
};

enum stprof_process_flags {
  /* Set by the sampler when a thread of the process first records a stack (userspace, the
   * fork and exec programs leave it clear): the process may have counts in the maps. */
  STPROF_PROCESS_SAMPLED = 1,
  /* Set by userspace once the profiler's uprobe on the process's code_dealloc counts the code
   * objects it frees in its stprof_pid_group's code_frees: then that counter is the process's
   * code epoch (for versions whose interpreter keeps none, 3.8-3.12). The fork program clears
   * it in a child: the uprobe counts for one process only; the exec program keeps what
   * python_images says. */
  STPROF_PROCESS_CODE_FREES = 2,
  /* Set by userspace for a free-threaded build: its GIL is in force only while its `enabled`
   * is non-zero (PYTHON_GIL=1, -X gil=1, or a C extension not marked free-threading safe turns
   * it on); while it is not, or when the GIL is unknown (gil_addr 0), every thread counts as
   * holding it for --gil. Nobody waits for a disabled GIL, so no off-CPU time is called a wait
   * for it then. Kept across fork and exec like the rest of the layout. */
  STPROF_PROCESS_FREE_THREADED = 4,
};

/* Kernel frames recorded per stack with --kernel (the kernel's own default limit,
 * sysctl kernel.perf_event_max_stack, is 127). 2^n - 1: a mask bounds a count of them. */
#define STPROF_MAX_KERNEL_FRAMES 127
/* stprof_frame.instr of a kernel frame (--kernel): `code` is a kernel text address. */
#define STPROF_FRAME_KERNEL (-2)

/* One frame as the sampler saw it: a Python frame, or with --kernel a kernel frame. A stack's
 * kernel frames come first (it is stored leaf first), then its Python frames. */
struct stprof_frame {
  __u64 code;         /* PyCodeObject address in the target (kernel frame: the address) */
  __s32 instr;        /* code-unit (2-byte) index of the instruction; -1: not started;
                       * STPROF_FRAME_KERNEL: a kernel frame */
  __u32 fingerprint;  /* stprof_fingerprint() of the code object's fingerprint window (0) */
};

enum stprof_stack_flags {
  STACK_FLAG_TRUNCATED = 1, /* deeper than STPROF_MAX_DEPTH: the root side is missing */
  STACK_FLAG_PARTIAL = 2,   /* a frame read faulted or the chain looped: the root side is missing */
};

/* Key of the `stacks` map: a stack is stored as ceil(depth / CHUNK_FRAMES) chunks, leaf first.
 * Chunk 0 is inserted last, so when chunk 0 is present the whole stack is. */
struct stprof_chunk_key {
  __u64 stack_id; /* stprof hash of all frames, depth and flags */
  __u32 chunk;
  __u32 pad;
};

struct stprof_chunk {
  __u16 depth; /* frames in the whole stack */
  __u16 flags; /* enum stprof_stack_flags */
  __u32 pad;
  struct stprof_frame frames[STPROF_CHUNK_FRAMES];
};

/* What a count is of (stprof_count_key.kind). STPROF_KIND_CPU counts perf samples; every other
 * kind is wall mode's off-CPU time, in nanoseconds, and says why the thread was off the CPU. */
enum stprof_sample_kind {
  STPROF_KIND_CPU = 0,       /* on the CPU: perf samples */
  STPROF_KIND_RUNQUEUE = 1,  /* runnable but preempted: waiting for a CPU */
  STPROF_KIND_GIL = 2,       /* waiting to take the GIL (a futex wait inside the GIL's struct) */
  STPROF_KIND_STOPPED = 3,   /* stopped by a signal or a tracer, outside a system call */
  STPROF_KIND_FAULT = 4,     /* blocked outside a system call: a page fault, in practice */
  /* Blocked in a system call: STPROF_KIND_SYSCALL + its x86-64 number. */
  STPROF_KIND_SYSCALL = 0x10000,
};

/* Key of the `counts` maps: what one thread spent in one stack, of one kind. Value: __u64, perf
 * samples (STPROF_KIND_CPU) or nanoseconds (the off-CPU kinds). */
struct stprof_count_key {
  __u32 pid; /* host tgid */
  __u32 tid; /* host tid */
  __u64 stack_id;
  __u32 kind; /* enum stprof_sample_kind */
  __u32 pad;
};

/* Process lifecycle events, sent by the exec/fork/exit tracepoints through the `events` ring
 * buffer to userspace, which (un)registers processes. */
enum stprof_event_kind {
  STPROF_EVENT_EXEC = 1, /* pid execed (and was unregistered if it was registered) */
  STPROF_EVENT_FORK = 2, /* pid was forked by parent_pid, a registered or followed process */
  STPROF_EVENT_EXIT = 3, /* every thread of pid has exited */
  /* The sampler interned a new stack (stack_id) of pid: userspace reads its code objects now,
   * while they are alive, instead of at the next drain. */
  STPROF_EVENT_NEW_STACK = 4,
};

enum stprof_event_flags {
  /* STPROF_EVENT_EXEC: the process was registered and sampled: its counts in the maps belong to
   * the image it leaves. */
  STPROF_EVENT_SAMPLED = 1,
  /* STPROF_EVENT_EXEC: the kernel registered the new image already (see python_images):
   * userspace checks it and keeps it, or removes it. */
  STPROF_EVENT_REGISTERED = 2,
};

/* Which processes the exec program registers itself when they exec an executable that holds a
 * CPython runtime userspace has analysed (see python_images): only when userspace would
 * select every such process without looking further. */
enum stprof_exec_registration {
  STPROF_REGISTER_AT_EXEC_NONE = 0,
  STPROF_REGISTER_AT_EXEC_ALL = 1,      /* --all-python */
  STPROF_REGISTER_AT_EXEC_FOLLOWED = 2, /* --pid-tree alone: followed processes */
};

/* `stprof-bpf dump`: one thread of a process as the dump iterator found it (read from the
 * iterator's file, one record per thread). */
struct stprof_thread_dump {
  __u32 tid;      /* host tid */
  __u32 kind;     /* enum stprof_sample_kind: STPROF_KIND_CPU on a CPU now, else why it is not */
  __u64 stack_id; /* its Python stack in the stacks map; 0: none (see exit) */
  __u32 exit;     /* with stack_id 0: the counter id of why there is none */
  __u32 pad;
};

/* An executable file as the kernel names it: its super block's s_dev (MAJOR << 20 | MINOR),
 * inode number and size. Key of python_images. */
struct stprof_image_key {
  __u64 dev;
  __u64 ino;
  __u64 size;
};

struct stprof_event {
  __u32 kind;       /* enum stprof_event_kind */
  __u32 pid;        /* host tgid */
  __u32 parent_pid; /* STPROF_EVENT_FORK: the forking tgid */
  __u32 flags;      /* enum stprof_event_flags */
  __u64 ktime_ns;   /* bpf_ktime_get_ns() (CLOCK_MONOTONIC) when it happened */
  __u64 stack_id;   /* STPROF_EVENT_NEW_STACK: the stack */
};

/* Userspace-settable globals (.bss, mmapped by the skeleton). */
struct stprof_control {
  /* Which of counts_0 / counts_1 the sampler writes; userspace flips it, waits, then drains
   * the other one, so no increment is lost to a concurrent delete. */
  __u32 active_counts;
  __u32 pad;
};

/* Stack hashing and code-object fingerprints: written once here, used by both sides. */
static inline __u64 stprof_mix64(__u64 h, __u64 v) {
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  h *= 0xff51afd7ed558ccdULL;
  return h ^ (h >> 33);
}

/* The registry of PIDs (pid_groups in maps.bpf.h, written by both sides), in groups of 64 PIDs
 * that share half a cache line: bit (pid % 64) of `registered` is set while `processes` holds
 * pid (set after the entry is inserted, cleared before it is deleted), and `generation` is bumped
 * after every change of a group's entries (never 0 once one was made), so that a copy of an
 * entry taken under the generation read before it stays true while the generation does.
 * `code_frees` counts the code objects freed by the group's processes that the profiler's
 * uprobe watches (STPROF_PROCESS_CODE_FREES), before their memory can be reused.
 * Bit (pid % 64) of `ran` is set by the sampler when it interrupts pid unregistered, and the
 * group's bit in `ran_groups` after it; userspace takes both (swapping in 0) when it looks for
 * processes that may have become Python without an exec (dlopen): those that ran since it last
 * looked. A bit set while userspace takes the words may be lost: it is set at the next sample. */
struct stprof_pid_group {
  __u64 registered;
  __u64 generation;
  __u64 code_frees;
  __u64 ran;
};
static inline __u32 stprof_pid_group_index(__u32 pid) { return (pid / 64) & (STPROF_PID_GROUPS - 1); }
static inline __u64 stprof_pid_bit(__u32 pid) { return 1ULL << (pid % 64); }

/* The registry protocol, the same on both sides (the __sync builtins are full barriers in BPF
 * and in C++). Registering: insert the `processes` entry, then stprof_registry_set. Unregistering:
 * stprof_registry_clear, delete the entry, then stprof_registry_changed. */
static inline void stprof_registry_changed(struct stprof_pid_group *group) {
  __sync_fetch_and_add(&group->generation, 1);
}
static inline void stprof_registry_set(struct stprof_pid_group *group, __u32 pid) {
  __sync_fetch_and_or(&group->registered, stprof_pid_bit(pid));
  stprof_registry_changed(group);
}
static inline void stprof_registry_clear(struct stprof_pid_group *group, __u32 pid) {
  __sync_fetch_and_and(&group->registered, ~stprof_pid_bit(pid));
}

/* Whether the code window `code` carries the code object's serial: then a code object that
 * replaced another at the same address differs from it in the window itself, and the name is
 * neither read nor hashed. CPython 3.12+ numbers code objects from a per-interpreter counter as
 * they are made (co_version; 0 once 2^32 are used up), never changed after: checked on 3.12.1,
 * 3.13.0, 3.13.5, 3.14.10 and 3.15.2 across specialization, settrace and sys.monitoring. */
static inline bool stprof_code_has_serial(const __u8 *code, const struct stprof_process *p) {
  __u32 at = ((__u32)p->code_serial - p->code_fingerprint) & (STPROF_CODE_WINDOW - 1);
  __u32 serial = 0;
  if (!p->code_serial || at + 4 > p->code_fingerprint_size || at + 4 > STPROF_CODE_WINDOW) {
    return false;
  }
  __builtin_memcpy(&serial, code + at, 4);
  return serial != 0;
}

/* The part of PyThreadState the sampler reads on every sample, in one read: [start, end) holds
 * thread_id (which checks the cached thread state), the frame field and, with a code epoch,
 * interp. Userspace keeps end - start <= STPROF_TSTATE_WINDOW. */
struct stprof_span {
  __u32 start, end;
};
static inline struct stprof_span stprof_tstate_window(const struct stprof_process *p) {
  struct stprof_span span = {p->tstate_thread_id, p->tstate_thread_id + 8u};
  __u32 fields[2] = {p->tstate_frame, p->interp_code_epoch ? p->tstate_interp : p->tstate_frame};
  for (int i = 0; i < 2; i++) {
    if (fields[i] < span.start) span.start = fields[i];
    if (fields[i] + 8u > span.end) span.end = fields[i] + 8u;
  }
  return span;
}

/* Bytes of the name read per frame: from its length field to STPROF_NAME_CHARS ASCII characters. */
static inline __u32 stprof_name_window_size(const struct stprof_process *p) {
  __u32 size = (__u32)p->str_ascii_data + STPROF_NAME_CHARS - p->str_length;
  return size > STPROF_NAME_WINDOW ? STPROF_NAME_WINDOW : size;
}

static inline __u64 stprof_rotl7(__u64 v) { return (v << 7) | (v >> 57); }

/* Fingerprint of a code object, from what the sampler reads per frame: `code` holds the code
 * window (p->code_fingerprint_size bytes at code + p->code_fingerprint) and `name` the name window
 * (`name_size` bytes at name + p->str_length; 0 when unreadable). It covers the window's immutable
 * words and the name's length and, for an ASCII name, its first STPROF_NAME_CHARS characters: a
 * freed code object is often replaced at the same address by one whose window bytes are all the
 * same (its name string even reuses the old one's memory), but not its name.
 * The sampler runs this for every frame, so words are folded in by xor-rotate (two dependent
 * instructions each, no multiply) and mixed once at the end. */
static inline __u32 stprof_fingerprint(const __u8 *code, const __u8 *name, __u32 name_size,
                                       const struct stprof_process *p) {
  __u64 h = 0, word = 0;
  for (__u32 i = 0; i < STPROF_CODE_WINDOW / 8; i++) {
    if (8 * i + 8 > p->code_fingerprint_size) break;
    if (!((p->code_fingerprint_mask >> i) & 1)) continue;
    __builtin_memcpy(&word, code + 8 * i, 8);
    h = stprof_rotl7(h) ^ word;
  }
  /* Offsets into `name` are masked as well as checked, so the BPF verifier can bound them:
   * `name` must have 8 bytes of slack after STPROF_NAME_WINDOW. */
  __u32 state_at = ((__u32)p->str_state - p->str_length) & (STPROF_NAME_WINDOW - 1);
  __u32 data_at = (__u32)p->str_ascii_data - p->str_length;
  __u64 length = 0;
  __u32 state = 0;
  if (name_size >= 8 && state_at + 4 <= name_size) {
    __builtin_memcpy(&length, name, 8);
    __builtin_memcpy(&state, name + state_at, 4);
    h = stprof_rotl7(h) ^ length;
    if ((state >> 6) & 1) { /* ASCII: its characters follow the header */
      for (__u32 i = 0; i < STPROF_NAME_CHARS / 8; i++) {
        __u32 at = (data_at + 8 * i) & (STPROF_NAME_WINDOW - 1);
        if (8 * i >= length || at + 8 > name_size) break;
        __builtin_memcpy(&word, name + at, 8);
        if (length - 8 * i < 8) word &= (1ULL << (8 * (length - 8 * i))) - 1;
        h = stprof_rotl7(h) ^ word;
      }
    }
  }
  h = stprof_mix64(0xcbf29ce484222325ULL, h);
  return (__u32)(h ^ (h >> 32));
}

static inline __u64 stprof_hash_frame(__u64 h, const struct stprof_frame *f) {
  h = stprof_mix64(h, f->code);
  return stprof_mix64(h, ((__u64)(__u32)f->instr << 32) | f->fingerprint);
}

#ifdef __cplusplus
static_assert(sizeof(struct stprof_process) == 88, "stprof_process layout");
static_assert(sizeof(struct stprof_frame) == 16, "stprof_frame layout");
static_assert(sizeof(struct stprof_chunk_key) == 16, "stprof_chunk_key layout");
static_assert(sizeof(struct stprof_chunk) == 8 + 16 * STPROF_CHUNK_FRAMES, "stprof_chunk layout");
static_assert(sizeof(struct stprof_count_key) == 24, "stprof_count_key layout");
static_assert(sizeof(struct stprof_pid_group) == 32, "stprof_pid_group layout");
static_assert(sizeof(struct stprof_control) == 8, "stprof_control layout");
static_assert(sizeof(struct stprof_event) == 32, "stprof_event layout");
static_assert(sizeof(struct stprof_image_key) == 24, "stprof_image_key layout");
static_assert(sizeof(struct stprof_thread_dump) == 24, "stprof_thread_dump layout");
#else
_Static_assert(sizeof(struct stprof_process) == 88, "stprof_process layout");
_Static_assert(sizeof(struct stprof_frame) == 16, "stprof_frame layout");
_Static_assert(sizeof(struct stprof_chunk) == 8 + 16 * STPROF_CHUNK_FRAMES, "stprof_chunk layout");
_Static_assert(sizeof(struct stprof_count_key) == 24, "stprof_count_key layout");
_Static_assert(sizeof(struct stprof_event) == 32, "stprof_event layout");
_Static_assert(sizeof(struct stprof_image_key) == 24, "stprof_image_key layout");
_Static_assert(sizeof(struct stprof_thread_dump) == 24, "stprof_thread_dump layout");
#endif

#endif /* STPROF_ABI_H */
