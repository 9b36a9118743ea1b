/* Reading the target's memory. The perf sample and the switch-out run in the target thread
 * itself, whose memory is the current one: bpf_probe_read_user. The seeding iterator
 * (seed.bpf.c) runs in the profiler and reads another task's memory: it defines
 * STPROF_READ_USER before including the walker, and STPROF_SUBPROG and STPROF_SUBPROG_NAME to
 * keep its copies of the walker's global functions apart from the shared ones. */
#ifndef STPROF_USER_MEMORY_BPF_H
#define STPROF_USER_MEMORY_BPF_H

#ifndef STPROF_READ_USER
#define STPROF_READ_USER(dst, size, src) bpf_probe_read_user(dst, size, src)
#endif

/* The walker's functions that the verifier checks once on their own (global functions), shared
 * by every object linked into the sampler (__weak: one copy survives the link). */
#ifndef STPROF_SUBPROG
#define STPROF_SUBPROG __weak __noinline
#define STPROF_SUBPROG_NAME(name) name
#endif

#endif /* STPROF_USER_MEMORY_BPF_H */
